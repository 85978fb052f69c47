import ArgumentParser

/// `invoice-shadow`: runs the Swift invoice service in shadow beside the legacy Python one.
@main
struct InvoiceShadow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice-shadow",
        abstract: "Run the Swift invoice service in shadow beside the legacy Python service, and prove parity.",
        discussion: """
            The legacy service (legacy/invoicing) runs inside this process through Debian's \
            CPython; both implementations get the same event bytes and their invoices are \
            compared.

            Start with:
              invoice-shadow serve --demo
              invoice-shadow replay Tests/Corpus/events.jsonl
            """,
        subcommands: [
            ServeCommand.self, BrokerCommand.self, RecordCommand.self, ReplayCommand.self, ReportCommand.self,
            CorpusCommand.self, ExportCommand.self, FlagsCommand.self, GenerateCommand.self, RenderCommand.self,
            BenchCommand.self,
        ]
    )
}
