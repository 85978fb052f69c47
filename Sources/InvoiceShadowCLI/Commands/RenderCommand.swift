import ArgumentParser
import Foundation
import PythonBridge
import ShadowCore

/// `invoice-shadow render`: one event through the legacy service, printed as the Python CLI prints it.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render one event with the embedded legacy service and print the result.",
        discussion: """
            Prints {"html": "...", "invoice": {...}} as one JSON object, the same shape as \
            `python3 -m invoicing render`. An invalid event prints "invalid event: FIELD: REASON" \
            on standard error and exits 1; a Python exception prints its traceback and exits 1.

            Example:
              invoice-shadow render legacy/samples/de-eats.json
              invoice-shadow render - < event.json
            """)

    @Argument(help: ArgumentHelp("The event file (JSON); - reads standard input.", valueName: "FILE"))
    var file: String = "-"

    @Option(help: "Seconds to wait for the legacy service.")
    var timeout: Double = 30

    @OptionGroup var legacy: LegacyOptions

    func run() async throws {
        let event: [UInt8]
        if file == "-" {
            event = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read the event file \(file)")
            }
            event = Array(data)
        }
        let service = try await legacy.start()
        let run = await service.render(event: event, timeout: .milliseconds(Int(timeout * 1000)))
        await service.interpreter.shutdown()

        switch run.result {
        case .success(let rendered):
            let html = try JSONSerialization.data(withJSONObject: [rendered.html], options: [.withoutEscapingSlashes])
            let htmlText = String(decoding: html.dropFirst().dropLast(), as: UTF8.self)
            print("{\"html\":\(htmlText),\"invoice\":\(rendered.invoiceJSON)}")
        case .failure(.invalidInput(let field, let reason)):
            throw CLIError("invalid event: \(field): \(reason)")
        case .failure(.exception(let exception)):
            throw CLIError("the legacy service raised \(exception)\n\(exception.traceback)")
        case .failure(.timeout(let waited)):
            throw CLIError("the legacy service did not answer within \(waited)")
        case .failure(.bridge(let error)):
            throw CLIError("bridge error: \(error)")
        }
    }
}
