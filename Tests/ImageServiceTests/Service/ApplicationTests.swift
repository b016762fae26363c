import Foundation
import Logging
import Testing

@testable import ImageService

/// The service as a whole: what survives a restart, and what a client sees when the database is gone.
@Suite struct ApplicationTests {
    @Test func aRestartFinishesJobsThePreviousRunLeftQueuedOrProcessing() async throws {
        // A first run accepts two uploads and dies: one still queued, one half-way through processing.
        let first = try TestService { $0.workers = 1 }
        first.stop()
        let store = JobStore(connection: try first.connect())
        let png = TestImages.colorfulPNG(width: 120, height: 80)
        let info = ImageInfo(format: .png, width: 120, height: 80)
        let options = ProcessingOptions(operations: [.grayscale])
        let queued = try store.insert(NewJob(original: png, originalInfo: info, options: options, filename: nil, metadata: nil))
        let interrupted = try store.insert(
            NewJob(original: png, originalInfo: info, options: options, filename: nil, metadata: nil))
        #expect(try store.markProcessing(id: interrupted.id))

        let second = try TestService(schema: first.schema)
        defer { try? second.dropSchema() }
        try await blocking {
            let client = try second.client()
            for id in [queued.id, interrupted.id] {
                let status = try client.request("GET", "/api/images/\(id.uuidString.lowercased())?wait=15").json()
                #expect(status["status"] as? String == "completed")
            }
        }
        #expect(try store.find(id: interrupted.id)?.attempts == 2)
    }

    @Test func anUnreachableDatabaseAnswers503WithRetryAfter() async throws {
        var logger = Logger(label: "unreachable-test")
        logger.logLevel = .critical
        let database = PostgresPool(conninfo: TestDatabase.unreachableURL, maxConnections: 2)
        let queue = WorkQueue(capacity: 4, byteCapacity: 1 << 20)
        var router = Router(logger: logger)
        ImagesAPI(
            database: database, queue: queue, kernel: ImageKernel(), completions: JobCompletionSignal(), logger: logger
        ).register(on: &router)
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), responder: router, logger: logger)
        let port = try server.start()
        defer { server.shutdown(timeout: .seconds(1)) }
        let png = TestImages.colorfulPNG(width: 8, height: 8)
        try await blocking {
            let client = try TestHTTPClient(port: port)
            let upload = try client.request("POST", "/api/images", headers: [("Content-Type", "image/png")], body: png)
            #expect(upload.status == 503)
            #expect(upload.header("Retry-After") != nil)
            #expect((try upload.json()["error"] as? [String: String])?["code"] == "database_unavailable")
            #expect(try client.request("GET", "/readyz").status == 503)
            #expect(try client.request("GET", "/healthz").status == 200)
        }
        // Nothing half-stored: the reservation taken for the upload was given back.
        #expect(queue.count == 0)
    }
}
