import Foundation
import Testing

@testable import ImageService
@testable import Imaging
@testable import TestSupport

/// Jobs and previews against the image work's memory: a real service, real PostgreSQL, real images through the
/// kernel, with a small image-work budget so that ordinary test images reach it.
@Suite(.serialized) final class MemoryAdmissionTests {
    private static let kernel = ImageKernel()
    private static let grayscale = ProcessingOptions(operations: [.grayscale])

    /// A 1200×900 JPEG and what grayscale needs for it.
    private let jpeg: [UInt8]
    private let estimate: Int

    init() throws {
        jpeg = try TestImages.colorfulJPEG(width: 1200, height: 900)
        estimate = try Self.kernel.estimatedPeakBytes(jpeg, options: Self.grayscale)
    }

    private static func waitForTerminal(_ client: TestHTTPClient, _ id: String) throws -> [String: Any] {
        for _ in 0..<10 {
            let status = try client.request("GET", "/api/images/\(id)?wait=10").json()
            if let value = status["status"] as? String, value == "completed" || value == "failed" { return status }
        }
        throw TestHTTPClient.Failure("job \(id) did not finish")
    }

    private static func errorCode(_ response: TestResponse) throws -> String? {
        (try response.json()["error"] as? [String: Any])?["code"] as? String
    }

    @Test func refusesAnUploadLargerThanTheWholeImageWorkAt422AndStoresNothing() async throws {
        let budget = estimate * 3 / 2
        let large = try TestImages.colorfulJPEG(width: 2400, height: 1800)
        #expect(try Self.kernel.estimatedPeakBytes(large, options: Self.grayscale) > budget)
        let service = try TestService { $0.imageWorkBytes = budget }
        defer { try? service.dropSchema() }
        try await blocking { [jpeg] in
            let client = try service.client()
            let refused = try client.request(
                "POST", "/api/images?op=grayscale", headers: [("Content-Type", "image/jpeg")], body: large)
            #expect(refused.status == 422)
            #expect(try Self.errorCode(refused) == "too_large_for_memory")
            let rows = try service.connect().query("SELECT count(*) FROM processed_images")
            #expect(try rows.int(0, 0) == 0)
            // A resize of the same photo to a small size needs far less, and fits.
            let small = try client.request(
                "POST", "/api/images?op=resize&width=300", headers: [("Content-Type", "image/jpeg")], body: large)
            #expect(small.status == 202)
            let accepted = try client.request(
                "POST", "/api/images?op=grayscale", headers: [("Content-Type", "image/jpeg")], body: jpeg)
            #expect(accepted.status == 202)
            for response in [small, accepted] {
                let id = try #require(try response.json()["id"] as? String)
                #expect(try Self.waitForTerminal(client, id)["status"] as? String == "completed")
            }
        }
    }

    /// Eight uploads at once on four workers whose memory holds two of the jobs: never more than two run, all
    /// complete, and the estimates stored with the jobs are the kernel's.
    @Test func runsOnlyTheJobsThatFitAtOnceAndCompletesThemAll() async throws {
        let budget = estimate * 5 / 2
        let service = try TestService {
            $0.workers = 4
            $0.imageWorkBytes = budget
        }
        defer { try? service.dropSchema() }
        let work = service.application.imageWork
        try await withThrowingTaskGroup(of: String.self) { [jpeg] group in
            for _ in 0..<8 {
                group.addTask {
                    try await blocking {
                        let response = try service.client().request(
                            "POST", "/api/images?op=grayscale", headers: [("Content-Type", "image/jpeg")], body: jpeg)
                        #expect(response.status == 202)
                        return try #require(try response.json()["id"] as? String)
                    }
                }
            }
            for try await id in group {
                let status = try await blocking { try Self.waitForTerminal(service.client(), id)["status"] as? String }
                #expect(status == "completed")
            }
        }
        #expect(work.peakBytesInUse <= budget)
        #expect(work.peakInUse <= 2)
        #expect(work.bytesInUse == 0)
        let stored = try service.connect().query("SELECT DISTINCT memory_estimate FROM processed_images")
        #expect(stored.rowCount == 1)
        #expect(try stored.int(0, 0) == estimate)
    }

    /// A job this replica cannot hold (stored before estimates were, or by a replica with more memory) fails with
    /// the code instead of running; the service goes on.
    @Test func failsAStoredJobLargerThanTheWholeImageWork() async throws {
        let service = try TestService { $0.imageWorkBytes = estimate / 2 }
        defer { try? service.dropSchema() }
        let store = JobStore(connection: try service.connect())
        let job = NewJob(
            original: jpeg, originalInfo: try Self.kernel.probe(jpeg), options: Self.grayscale, filename: nil,
            metadata: nil)
        let id = try store.insert(job).created().id.uuidString.lowercased()
        try store.connection.notify(JobSettings.channel)
        try await blocking {
            let status = try Self.waitForTerminal(service.client(), id)
            #expect(status["status"] as? String == "failed")
            let error = try #require(status["error"] as? [String: Any])
            #expect(error["code"] as? String == "too_large_for_memory")
            #expect((error["message"] as? String)?.contains("MiB") == true)
            #expect(try service.client().request("GET", "/healthz").status == 200)
        }
    }

    /// A preview that does not fit the image work is refused rather than rendered; the request is answered.
    @Test func refusesAPreviewLargerThanTheWholeImageWorkAt422() async throws {
        let thumbnail = try PreviewRenderer.thumbnailOptions(jpeg, size: 256, kernel: Self.kernel)
        let previewEstimate = try Self.kernel.estimatedPeakBytes(jpeg, options: thumbnail)
        let service = try TestService { $0.imageWorkBytes = previewEstimate - 1 }
        defer { try? service.dropSchema() }
        let store = JobStore(connection: try service.connect())
        let job = NewJob(
            original: jpeg, originalInfo: try Self.kernel.probe(jpeg), options: Self.grayscale, filename: nil,
            metadata: nil)
        let id = try store.insert(job).created().id.uuidString.lowercased()
        try await blocking {
            let preview = try service.client().request("GET", "/api/images/\(id)/original?preview=256")
            #expect(preview.status == 422)
            #expect(try Self.errorCode(preview) == "too_large_for_memory")
            #expect(try service.client().request("GET", "/api/images/\(id)/original").status == 200)
        }
    }
}
