import Foundation
import Logging
import Testing

@testable import HTTPTransport
@testable import ImageService
@testable import Imaging
@testable import PostgresClient
@testable import TestSupport

/// The service as a whole: what survives a restart, and what a client sees when the database is gone.
@Suite struct ApplicationTests {
    @Test func aRestartFinishesJobsThePreviousRunLeftQueuedOrProcessing() async throws {
        // A first run of replica "r1" accepted three uploads and died: one it never held (its queue was full), one
        // held in its memory queue, one half-way through processing.
        let first = try TestService { $0.jobs.replicaID = "r1" }
        first.stop()
        let store = JobStore(connection: try first.connect())
        let png = TestImages.colorfulPNG(width: 120, height: 80)
        let info = ImageInfo(format: .png, width: 120, height: 80)
        let options = ProcessingOptions(operations: [.grayscale])
        let held = JobLease(owner: "r1", duration: .seconds(600))
        func job() -> NewJob {
            NewJob(original: png, originalInfo: info, options: options, filename: nil, metadata: nil)
        }
        let unheld = try store.insert(job()).created()
        let queued = try store.insert(job(), lease: held).created()
        let interrupted = try store.insert(job(), lease: held).created()
        #expect(try store.start(id: interrupted.id, lease: held) != nil)

        // The same replica starts again: it takes its own jobs back at once, not after their ten-minute lease.
        let second = try TestService(schema: first.schema) { $0.jobs.replicaID = "r1" }
        defer { try? second.dropSchema() }
        try await blocking {
            let client = try second.client()
            for record in [unheld, queued, interrupted] {
                let status = try client.request("GET", "/api/images/\(record.id.uuidString.lowercased())?wait=15")
                    .json()
                #expect(status["status"] as? String == "completed")
            }
        }
        #expect(try store.find(id: interrupted.id)?.attempts == 2)
        #expect(try store.find(id: queued.id)?.attempts == 1)
    }

    @Test func anotherReplicaTakesOverJobsWhoseLeaseRanOut() async throws {
        let service = try TestService()
        defer { try? service.dropSchema() }
        let store = JobStore(connection: try service.connect())
        let png = TestImages.colorfulPNG(width: 40, height: 40)
        // Long enough for this test to start its attempt before the service's sweeps (every 0.5 s) see the lease run
        // out; short enough that the takeover comes soon after.
        let dead = JobLease(owner: "dead-replica", duration: .seconds(2))
        let record = try store.insert(
            NewJob(
                original: png, originalInfo: ImageInfo(format: .png, width: 40, height: 40),
                options: ProcessingOptions(), filename: nil, metadata: nil),
            lease: dead
        ).created()
        #expect(try store.start(id: record.id, lease: dead) != nil)
        try await blocking {
            let status = try service.client().request("GET", "/api/images/\(record.id.uuidString.lowercased())?wait=15")
            #expect(try status.json()["status"] as? String == "completed")
        }
        #expect(service.application.metrics.recovered.value == 1)
    }

    /// The API alone, over the pools given, with default settings and a budget of its own.
    private static func api(
        database: PostgresPool, photoDatabase: PostgresPool? = nil, queue: WorkQueue, logger: Logger
    ) -> ImagesAPI {
        let budget = ImageWorkBudget(slots: 2)
        let kernel = ImageKernel()
        return ImagesAPI(
            database: database, photoDatabase: photoDatabase,
            admission: JobAdmission(queue: queue, budget: budget, settings: JobSettings()), kernel: kernel,
            previews: PreviewRenderer(kernel: kernel, budget: budget), settings: JobSettings(),
            completions: JobCompletionSignal(), logger: logger)
    }

    @Test func anUnreachableDatabaseAnswers503WithRetryAfter() async throws {
        var logger = Logger(label: "unreachable-test")
        logger.logLevel = .critical
        let database = PostgresPool(conninfo: TestDatabase.unreachableURL, maxConnections: 2)
        let queue = WorkQueue(capacity: 4, byteCapacity: 1 << 20)
        var router = Router(logger: logger)
        Self.api(database: database, queue: queue, logger: logger).register(on: &router)
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

    @Test func uploadsOverTwoMebibytesGoThroughThePhotoConnections() async throws {
        let service = try TestService()  // for its migrated schema
        defer { try? service.dropSchema() }
        var logger = Logger(label: "photo-pool-test")
        logger.logLevel = .critical
        // The general pool works; the photo pool cannot connect, so whatever goes through it answers 503.
        let database = PostgresPool(conninfo: service.databaseURL, maxConnections: 2)
        let photoDatabase = PostgresPool(conninfo: TestDatabase.unreachableURL, maxConnections: 1)
        defer { database.shutdown() }
        var router = Router(logger: logger)
        Self.api(
            database: database, photoDatabase: photoDatabase, queue: WorkQueue(capacity: 4, byteCapacity: 64 << 20),
            logger: logger
        ).register(on: &router)
        let server = try HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), responder: router, logger: logger)
        let port = try server.start()
        defer { server.shutdown(timeout: .seconds(1)) }
        // Noise does not compress: 1024 x 1024 RGB is a 3 MiB PNG.
        let photo = PNGFixture.image(width: 1024, height: 1024, colorType: .rgb) { x, y in
            var mixed = UInt32(truncatingIfNeeded: x &* 73_856_093 ^ y &* 19_349_663)
            mixed ^= mixed >> 13
            mixed &*= 0x5bd1_e995
            return [
                UInt8(truncatingIfNeeded: mixed), UInt8(truncatingIfNeeded: mixed >> 8),
                UInt8(truncatingIfNeeded: mixed >> 16),
            ]
        }
        #expect(photo.count > PostgresConnection.largeMessageBytes)
        try await blocking {
            let client = try TestHTTPClient(port: port)
            let small = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png")], body: TestImages.colorfulPNG())
            #expect(small.status == 202)
            let large = try client.request("POST", "/api/images", headers: [("Content-Type", "image/png")], body: photo)
            #expect(large.status == 503)
        }
    }
}
