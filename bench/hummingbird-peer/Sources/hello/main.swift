import Foundation
import Hummingbird

/// `hello PORT`: GET /healthz answers `ok`, as the peer of imageproc's own server in bench/http.sh. No request log.
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8090
let router = Router()
router.get("healthz") { _, _ in "ok" }
let application = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await application.runService()
