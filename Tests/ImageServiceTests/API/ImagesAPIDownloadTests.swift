import Foundation
import Synchronization
import Testing

@testable import ImageService
@testable import TestSupport

/// Downloads end to end: conditional requests (RFC 9110) on the images and their previews, and previews made once
/// — failures remembered, identical requests merged, rendering on the workers' budget.
@Suite(.serialized, .timeLimit(.minutes(2))) final class ImagesAPIDownloadTests {
    let service: TestService

    init() throws {
        service = try TestService()
    }

    deinit {
        try? service.dropSchema()
    }

    // MARK: Helpers

    /// Uploads `bytes` raw and waits until the job is finished; returns its id and final status.
    private static func uploadAndWait(
        _ client: TestHTTPClient, _ bytes: [UInt8], type: String = "image/png", query: String = ""
    ) throws -> (id: String, status: String) {
        let accepted = try client.request(
            "POST", "/api/images\(query.isEmpty ? "" : "?" + query)", headers: [("Content-Type", type)], body: bytes)
        guard accepted.status == 202, let id = try accepted.json()["id"] as? String else {
            throw TestHTTPClient.Failure("upload refused: \(accepted.status) \(accepted.text)")
        }
        for _ in 0..<5 {
            let status = try client.request("GET", "/api/images/\(id)?wait=10").json()["status"] as? String
            if let status, status == "completed" || status == "failed" { return (id, status) }
        }
        throw TestHTTPClient.Failure("job \(id) did not finish")
    }

    /// A JPEG whose header reads but whose data ends before the last rows: accepted at upload, decoded almost
    /// whole before the kernel finds it unreadable.
    private static func truncatedJPEG(width: Int = 1200, height: Int = 900) throws -> [UInt8] {
        let whole = try TestImages.colorfulJPEG(width: width, height: height)
        return Array(whole.prefix(whole.count * 9 / 10))
    }

    /// Runs `count` copies of `body` on threads of their own, released together; returns their results in order.
    private static func together<T: Sendable>(
        _ count: Int, _ body: @escaping @Sendable (Int) throws -> T
    ) async throws -> [T] {
        let gate = DispatchGroup()
        gate.enter()
        return try await withThrowingTaskGroup(of: (Int, T).self) { group in
            for index in 0..<count {
                group.addTask {
                    try await blocking {
                        gate.wait()
                        return (index, try body(index))
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            gate.leave()
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    // MARK: Conditional requests

    @Test func answers304WithoutBodyOrLengthToEveryMatchingIfNoneMatch() async throws {
        try await blocking { [service] in
            let png = TestImages.colorfulPNG(width: 320, height: 240)
            let client = try service.client()
            let (id, status) = try Self.uploadAndWait(client, png, query: "op=grayscale")
            #expect(status == "completed")
            for path in [
                "/api/images/\(id)/original", "/api/images/\(id)/download", "/api/images/\(id)/original?preview=128",
            ] {
                let full = try client.request("GET", path)
                #expect(full.status == 200, "\(path)")
                let etag = try #require(full.header("ETag"))
                #expect(full.header("Content-Length") == String(full.body.count))
                for candidate in [etag, "W/\(etag)", #""elsewhere", \#(etag)"#, #"W/"a",W/\#(etag) , "b""#, "*"] {
                    let revalidated = try client.request("GET", path, headers: [("If-None-Match", candidate)])
                    #expect(revalidated.status == 304, "\(path) with \(candidate)")
                    #expect(revalidated.header("Content-Length") == nil, "\(path) with \(candidate)")
                    #expect(revalidated.header("ETag") == etag)
                    #expect(revalidated.header("Cache-Control") == full.header("Cache-Control"))
                    // No body followed the head: the next answer on this connection starts where the head ended.
                    #expect(try client.request("GET", "/healthz").status == 200)
                }
                for candidate in [#""elsewhere""#, #"W/"elsewhere""#, String(etag.dropFirst().dropLast()), "\(etag) *"]
                {
                    let fresh = try client.request("GET", path, headers: [("If-None-Match", candidate)])
                    #expect(fresh.status == 200, "\(path) with \(candidate)")
                    #expect(fresh.body == full.body)
                }
            }
        }
    }

    @Test func decidesTheConditionBeforeReadingTheImageBytes() async throws {
        try await blocking { [service] in
            let png = TestImages.colorfulPNG(width: 64, height: 48)
            let client = try service.client()
            let (id, _) = try Self.uploadAndWait(client, png)
            let full = try client.request("GET", "/api/images/\(id)/original")
            let etag = try #require(full.header("ETag"))
            // Hide the bytes: any statement that reads them now fails, while the job's row still reads.
            let database = try service.connect()
            _ = try database.query("ALTER TABLE processed_images RENAME COLUMN original_data TO original_data_hidden")
            defer {
                _ = try? database.query(
                    "ALTER TABLE processed_images RENAME COLUMN original_data_hidden TO original_data")
            }
            let revalidated = try client.request(
                "GET", "/api/images/\(id)/original", headers: [("If-None-Match", "W/\(etag)")])
            #expect(revalidated.status == 304)
            // HEAD answers from the look-up too, with the GET's length.
            let head = try client.request("HEAD", "/api/images/\(id)/original")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == String(full.body.count))
            #expect(head.header("Content-Type") == "image/png")
            #expect(head.header("Content-Disposition") == full.header("Content-Disposition"))
            // The full answer does read them, and fails: the hiding works.
            #expect(try client.request("GET", "/api/images/\(id)/original").status == 500)
        }
    }

    @Test func refusalsComeBeforeConditions() async throws {
        try await blocking { [service] in
            let client = try service.client()
            let unknown = UUID().uuidString.lowercased()
            let missing = try client.request(
                "GET", "/api/images/\(unknown)/original", headers: [("If-None-Match", "*")])
            #expect(missing.status == 404)
            // A failed job has no result: 409, whatever the client holds.
            let (id, status) = try Self.uploadAndWait(client, try Self.truncatedJPEG(), type: "image/jpeg")
            #expect(status == "failed")
            let notReady = try client.request("GET", "/api/images/\(id)/download", headers: [("If-None-Match", "*")])
            #expect(notReady.status == 409)
            let preview = try client.request(
                "GET", "/api/images/\(id)/download?preview=128", headers: [("If-None-Match", "*")])
            #expect(preview.status == 409)
        }
    }

    // MARK: Previews

    @Test func aPreviewThatCannotBeMadeIsRenderedOnceAndAnswered422() async throws {
        // Made off the cooperative pool, which the service under test needs (as every image of this suite).
        let jpeg = try await blocking { try Self.truncatedJPEG() }
        let renderer = service.application.previews
        let timings = try await blocking { [service] in
            let client = try service.client()
            let (id, _) = try Self.uploadAndWait(client, jpeg, type: "image/jpeg")
            let before = renderer.renderCount
            var timings: [Duration] = []
            for _ in 0..<5 {
                let started = ContinuousClock.now
                let preview = try client.request("GET", "/api/images/\(id)/original?preview=512")
                timings.append(ContinuousClock.now - started)
                #expect(preview.status == 422)
                #expect((try preview.json()["error"] as? [String: String])?["code"] == "truncated_image")
            }
            #expect(renderer.renderCount - before == 1)
            // Another size is another preview, and it is tried once too.
            #expect(try client.request("GET", "/api/images/\(id)/original?preview=128").status == 422)
            #expect(renderer.renderCount - before == 2)
            return timings
        }
        print("five previews of a truncated original:", timings.map { "\($0.milliseconds) ms" })
    }

    @Test func concurrentIdenticalPreviewRequestsRenderOnce() async throws {
        let png = try await blocking { TestImages.colorfulPNG(width: 800, height: 600) }
        let renderer = service.application.previews
        let (id, _) = try await blocking { [service] in try Self.uploadAndWait(service.client(), png) }
        let before = renderer.renderCount
        let answers = try await Self.together(8) { [service] _ in
            try service.client().request("GET", "/api/images/\(id)/original?preview=256")
        }
        #expect(answers.allSatisfy { $0.status == 200 })
        #expect(Set(answers.map(\.body)).count == 1)
        #expect(renderer.renderCount - before == 1)
        let cached = try service.connect().query(
            "SELECT count(*) FROM image_previews WHERE image_id = $1", [UUID(uuidString: id)!])
        #expect(try cached.int(0, 0) == 1)
    }

    @Test func previewsAndJobsTogetherNeverExceedTheWorkerCount() async throws {
        // The suite's service has 2 workers: 2 slots for every kernel call of this process.
        let budget = service.application.imageWork
        #expect(budget.slots == 2)
        let renderer = service.application.previews
        let photo = try await blocking { TestImages.colorfulPNG(width: 1200, height: 900) }
        let completed = try await blocking { [service] in
            let client = try service.client()
            return try (0..<3).map { _ in try Self.uploadAndWait(client, photo).id }
        }
        let acquisitionsBefore = budget.acquisitions
        let rendersBefore = renderer.renderCount
        // Six new jobs and twelve different previews at once.
        let results = try await Self.together(18) { [service] index in
            let client = try service.client()
            if index < 6 {
                return try client.request(
                    "POST", "/api/images?op=resize,grayscale&width=800", headers: [("Content-Type", "image/png")],
                    body: photo
                ).status
            }
            let id = completed[index % 3]
            let size = [128, 256, 512][(index / 3) % 3]
            let kind = index % 2 == 0 ? "original" : "download"
            return try client.request("GET", "/api/images/\(id)/\(kind)?preview=\(size)").status
        }
        #expect(results.prefix(6).allSatisfy { $0 == 202 })
        #expect(results.dropFirst(6).allSatisfy { $0 == 200 })
        // Let the six jobs finish.
        try await blocking { [service] in
            let client = try service.client()
            for _ in 0..<50 where service.application.metrics.completed.value < 9 {
                _ = try client.request("GET", "/healthz")
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        #expect(service.application.metrics.completed.value == 9)
        let renders = renderer.renderCount - rendersBefore
        #expect(renders >= 1)
        // Every kernel call, of a job or a preview, went through the budget, and it never lent more than 2 slots.
        #expect(budget.acquisitions - acquisitionsBefore == 6 + renders)
        #expect(budget.peakInUse == 2)
        #expect(budget.inUse == 0)
    }
}
