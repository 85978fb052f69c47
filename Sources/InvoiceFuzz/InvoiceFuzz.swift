import Dispatch
import Foundation
import InvoiceRenderers
import InvoiceService
import PythonBridge
import ShadowCore

/// The fuzz target: arbitrary bytes as a Money-System event, through event decoding and both
/// implementations, compared by the harness. It fails (traps, so libFuzzer keeps the input) when
/// anything crashes or when the two implementations disagree on an input: a divergence the shadow
/// would report in production is a finding here too.
///
/// Built two ways (see scripts/fuzz.sh):
/// - with `-sanitize=fuzzer -DFUZZING`: libFuzzer drives ``FuzzTarget/check(_:)``;
/// - normally: `invoice-fuzz FILE|DIR...` runs the given inputs once each (crash regressions).
enum FuzzTarget {
    nonisolated(unsafe) static var legacy: LegacyInvoiceService?
    static let swift = SwiftRenderer()
    static let comparator = OutcomeComparator()

    /// Starts the embedded interpreter with `legacy/` (from $INVOICE_SHADOW_LEGACY or ./legacy).
    static func start() {
        let directory = ProcessInfo.processInfo.environment["INVOICE_SHADOW_LEGACY"] ?? "legacy"
        legacy = wait {
            do {
                return try await LegacyInvoiceService.start(legacyDirectory: directory)
            } catch {
                FileHandle.standardError.write(Data("invoice-fuzz: cannot start the legacy service: \(error)\n".utf8))
                exit(2)
            }
        }
    }

    /// One input: returns a description of the finding, or nil.
    static func check(_ bytes: [UInt8]) -> String? {
        let facts = EventFacts.read(bytes)
        let (left, right) = wait { () async -> (SideResult, SideResult) in
            (
                await LegacyRenderer(service: legacy!, timeout: .seconds(10)).render(event: bytes),
                await swift.render(event: bytes)
            )
        }
        let comparison = comparator.compare(facts: facts, legacy: left, swift: right)
        guard comparison.kind.isParity else {
            return "\(comparison.kind.rawValue): \(comparison.signature.text)\n"
                + comparison.differences.map { "  \($0.path): \($0.legacy ?? "-") | \($0.swift ?? "-")" }.joined(
                    separator: "\n")
        }
        return nil
    }

    /// Runs `body` on the cooperative pool and blocks this (non-pool) thread until it returns.
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        Task {
            result = await body()
            semaphore.signal()
        }
        semaphore.wait()
        return result!
    }
}

#if FUZZING
    /// libFuzzer's driver, for programs that have a `main` of their own (SwiftPM names the executable's).
    @_silgen_name("LLVMFuzzerRunDriver")
    func fuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// One input (libFuzzer's entry point; its driver refers to it by name).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        if let finding = FuzzTarget.check(bytes) {
            FileHandle.standardError.write(Data("invoice-fuzz: divergence: \(finding)\n".utf8))
            abort()
        }
        return 0
    }

    @main struct InvoiceFuzz {
        static func main() {
            FuzzTarget.start()
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(fuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
        }
    }
#else
    @main struct InvoiceFuzz {
        static func main() {
            let paths = CommandLine.arguments.dropFirst()
            guard !paths.isEmpty else {
                print(
                    "usage: invoice-fuzz FILE|DIR...  (runs each input once; scripts/fuzz.sh builds the libFuzzer target)"
                )
                exit(2)
            }
            FuzzTarget.start()
            var files: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    print("invoice-fuzz: no such file or directory: \(path)")
                    exit(2)
                }
                if isDirectory.boolValue {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                    files += names.sorted().filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.map {
                        path + "/" + $0
                    }
                } else {
                    files.append(path)
                }
            }
            var findings = 0
            for file in files {
                let bytes = FileManager.default.contents(atPath: file).map(Array.init) ?? []
                if let finding = FuzzTarget.check(bytes) {
                    findings += 1
                    print("\(file): \(finding)")
                }
            }
            print("invoice-fuzz: \(files.count) inputs, \(findings) findings")
            exit(findings == 0 ? 0 : 1)
        }
    }
#endif
