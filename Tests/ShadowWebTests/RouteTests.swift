import Foundation
import Hummingbird
import HummingbirdTesting
import ShadowCore
import ShadowStore
import ShadowWeb
import Testing

@Suite struct RouteTests {
    @Test func healthAndFlagsAnswerJSON() async throws {
        let store = try ShadowStore.inMemory()
        try store.setFlag(country: "DE", to: .live, actor: "t", reason: "t", force: true)
        let router = ShadowWeb.buildRouter(store: store) {
            ServeStatus(consumed: 5, completed: 4, published: 3, deadLettered: 1, skippedShadows: 0)
        }
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["status"] as? String == "ok")
                #expect((body?["serve"] as? [String: Any])?["dead_lettered"] as? Int == 1)
            }
            try await client.execute(uri: "/flags", method: .get) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]
                #expect(body?.count == 10)
                #expect(body?.first { $0["country"] as? String == "DE" }?["flag"] as? String == "live")
            }
        }
    }
}
