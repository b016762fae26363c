import Foundation
import Testing

@testable import ImageService
@testable import Imaging
@testable import TestSupport

/// The REST API end to end: a real service on a real socket, real PostgreSQL, real images through the kernel.
@Suite(.serialized) final class ImagesAPITests {
    let service: TestService

    init() throws {
        service = try TestService()
    }

    deinit {
        try? service.dropSchema()
    }

    // MARK: Helpers

    private static func multipart(
        _ file: [UInt8], filename: String = "photo.jpg", boundary: String = "XyZ-boundary-123",
        extraFields: [(String, String)] = []
    ) -> (body: [UInt8], contentType: String) {
        var body: [UInt8] = []
        for (name, value) in extraFields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array(
            ("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").utf8)
        body += file
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    private static func upload(
        _ client: TestHTTPClient, _ file: [UInt8], query: String, filename: String = "photo.jpg",
        extraFields: [(String, String)] = []
    ) throws -> TestResponse {
        let form = Self.multipart(file, filename: filename, extraFields: extraFields)
        return try client.request(
            "POST", "/api/images?\(query)", headers: [("Content-Type", form.contentType)], body: form.body)
    }

    private static func waitForTerminal(_ client: TestHTTPClient, _ id: String) throws -> [String: Any] {
        for _ in 0..<5 {
            let status = try client.request("GET", "/api/images/\(id)?wait=10").json()
            if let value = status["status"] as? String, value == "completed" || value == "failed" { return status }
        }
        throw TestHTTPClient.Failure("job \(id) did not finish")
    }

    // MARK: Upload, wait, download

    @Test func resizesAndGraysAMultipartJPEG() async throws {
        let jpeg = try TestImages.colorfulJPEG(width: 1200, height: 900)
        try await blocking { [service] in
            let client = try service.client()
            let accepted = try Self.upload(client, jpeg, query: "op=resize,grayscale&width=800")
            #expect(accepted.status == 202)
            let body = try accepted.json()
            let id = try #require(body["id"] as? String)
            #expect(body["status"] as? String == "queued")
            #expect(accepted.header("Location") == "/api/images/\(id)")

            let status = try Self.waitForTerminal(client, id)
            #expect(status["status"] as? String == "completed")
            let processed = try #require(status["processed"] as? [String: Any])
            #expect(processed["width"] as? Int == 800)
            #expect(processed["height"] as? Int == 600)
            #expect(processed["format"] as? String == "jpeg")
            #expect(status["filename"] as? String == "photo.jpg")

            let download = try client.request("GET", "/api/images/\(id)/download")
            #expect(download.status == 200)
            #expect(download.header("Content-Type") == "image/jpeg")
            #expect(download.header("Content-Disposition") == "attachment; filename=\"photo-processed.jpg\"")
            #expect(download.header("ETag") != nil)
            let image = try ImageKernel().decode(download.body)
            #expect(image.width == 800 && image.height == 600)
            #expect(TestImages.isGray(image))

            let original = try client.request("GET", "/api/images/\(id)/original")
            #expect(original.body == jpeg)

            // The row holds both byte arrays.
            let row = try service.connect().query(
                "SELECT original_data, processed_data, status FROM processed_images WHERE id = $1",
                [UUID(uuidString: id)!])
            #expect(try row.bytes(0, 0) == jpeg)
            #expect(try row.bytes(0, 1) == download.body)
            #expect(try row.string(0, 2) == "completed")
        }
    }

    @Test func graysARawPNGAndKeepsItsFormat() async throws {
        let png = TestImages.colorfulPNG(width: 300, height: 200)
        try await blocking { [service] in
            let client = try service.client()
            let accepted = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png")], body: png)
            #expect(accepted.status == 202)
            let id = try #require(try accepted.json()["id"] as? String)
            let status = try Self.waitForTerminal(client, id)
            #expect(status["status"] as? String == "completed")
            let download = try client.request("GET", "/api/images/\(id)/download")
            #expect(download.header("Content-Type") == "image/png")
            let image = try ImageKernel().decode(download.body)
            #expect(image.width == 300 && image.height == 200)
            #expect(TestImages.isGray(image))
        }
    }

    @Test func takesARawUploadsNameFromContentDisposition() async throws {
        let png = TestImages.colorfulPNG(width: 16, height: 16)
        try await blocking { [service] in
            let client = try service.client()
            for (disposition, expected) in [
                (#"attachment; filename="holiday; photo.png""#, "holiday; photo.png"),
                ("attachment; filename=plain.png; filename*=UTF-8''caf%C3%A9.png", "café.png"),
                (#"attachment; filename="../../etc/passwd""#, "passwd"),
            ] {
                let accepted = try client.request(
                    "POST", "/api/images",
                    headers: [("Content-Type", "image/png"), ("Content-Disposition", disposition)],
                    body: png)
                let id = try #require(try accepted.json()["id"] as? String)
                let status = try Self.waitForTerminal(client, id)
                #expect(status["filename"] as? String == expected)
            }
        }
    }

    @Test func acceptsAJSONUploadWithMetadata() async throws {
        let png = TestImages.colorfulPNG(width: 64, height: 48)
        try await blocking { [service] in
            let client = try service.client()
            let body = try JSONSerialization.data(withJSONObject: [
                "image": Data(png).base64EncodedString(), "filename": "scan.png",
                "metadata": ["scan": "A-17", "tags": ["x", "y"]],
            ])
            let accepted = try client.request(
                "POST", "/api/images?op=resize&width=32&format=jpeg", headers: [("Content-Type", "application/json")],
                body: [UInt8](body))
            #expect(accepted.status == 202)
            let id = try #require(try accepted.json()["id"] as? String)
            let status = try Self.waitForTerminal(client, id)
            let metadata = try #require(status["metadata"] as? [String: Any])
            #expect(metadata["scan"] as? String == "A-17")
            #expect(status["filename"] as? String == "scan.png")
            let processed = try #require(status["processed"] as? [String: Any])
            #expect(processed["format"] as? String == "jpeg")
            #expect(processed["width"] as? Int == 32)
        }
    }

    @Test func storesMetadataFromTheFormAndTheHeader() async throws {
        let png = TestImages.colorfulPNG(width: 16, height: 16)
        try await blocking { [service] in
            let client = try service.client()
            let fromForm = try Self.upload(client, png, query: "", extraFields: [("metadata", #"{"site":"north"}"#)])
            let formStatus = try client.request("GET", "/api/images/\(try fromForm.json()["id"] as! String)").json()
            #expect((formStatus["metadata"] as? [String: Any])?["site"] as? String == "north")

            let fromHeader = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png"), ("X-Image-Metadata", #"{"n":1}"#)],
                body: png)
            let headerStatus = try client.request("GET", "/api/images/\(try fromHeader.json()["id"] as! String)").json()
            #expect((headerStatus["metadata"] as? [String: Any])?["n"] as? Int == 1)

            let notAnObject = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png"), ("X-Image-Metadata", "[1,2]")],
                body: png)
            #expect(notAnObject.status == 400)
            let tooLarge = try client.request(
                "POST", "/api/images",
                headers: [
                    ("Content-Type", "image/png"),
                    ("X-Image-Metadata", "{\"a\":\"\(String(repeating: "x", count: 5000))\"}"),
                ],
                body: png)
            #expect(tooLarge.status == 400)
        }
    }

    @Test func aCorruptImageEndsAsAFailedJobWithAMessage() async throws {
        let whole = try TestImages.colorfulJPEG(width: 400, height: 300)
        // Keep the header (the upload is accepted), then cut the entropy-coded data short.
        let jpeg = Array(whole.prefix(whole.count / 2))
        try await blocking { [service] in
            let client = try service.client()
            let accepted = try Self.upload(client, jpeg, query: "op=grayscale")
            #expect(accepted.status == 202)
            let id = try #require(try accepted.json()["id"] as? String)
            let status = try Self.waitForTerminal(client, id)
            #expect(status["status"] as? String == "failed")
            let error = try #require(status["error"] as? [String: Any])
            #expect(error["code"] as? String == "truncated_image")
            #expect((error["message"] as? String)?.isEmpty == false)
            let download = try client.request("GET", "/api/images/\(id)/download")
            #expect(download.status == 409)
            #expect(((try download.json()["error"]) as? [String: Any])?["code"] as? String == "not_ready")
            // The service is still alive and well.
            #expect(try client.request("GET", "/healthz").status == 200)
        }
    }

    @Test func servesCachedPreviewsOfBothImages() async throws {
        let png = TestImages.colorfulPNG(width: 640, height: 480)
        try await blocking { [service] in
            let client = try service.client()
            let accepted = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png")], body: png)
            let id = try #require(try accepted.json()["id"] as? String)
            _ = try Self.waitForTerminal(client, id)
            for kind in ["original", "download"] {
                let preview = try client.request("GET", "/api/images/\(id)/\(kind)?preview=256")
                #expect(preview.status == 200)
                #expect(preview.header("Content-Disposition") == nil)
                let image = try ImageKernel().decode(preview.body)
                #expect(image.width == 256 && image.height == 192)
                let again = try client.request("GET", "/api/images/\(id)/\(kind)?preview=256")
                #expect(again.body == preview.body)
            }
            let cached = try service.connect().query(
                "SELECT count(*) FROM image_previews WHERE image_id = $1", [UUID(uuidString: id)!])
            #expect(try cached.int(0, 0) == 2)
            let odd = try client.request("GET", "/api/images/\(id)/original?preview=100")
            #expect(odd.status == 400)
            #expect((try odd.json()["error"] as? [String: String])?["message"]?.contains("preview") == true)
        }
    }

    // MARK: Refusals

    @Test func refusesWhatIsNotAnImageWith415() async throws {
        try await blocking { [service] in
            let client = try service.client()
            let response = try Self.upload(client, Array("<html>not a jpeg</html>".utf8), query: "")
            #expect(response.status == 415)
            let error = try #require(try response.json()["error"] as? [String: String])
            #expect(error["code"] == "unsupported_media_type")
        }
    }

    @Test func refusesAnUnreadableHeaderWith422() async throws {
        try await blocking { [service] in
            let client = try service.client()
            let response = try Self.upload(client, [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], query: "")
            #expect(response.status == 422)
        }
    }

    @Test func refusesBadParametersWith400NamingThem() async throws {
        let png = TestImages.colorfulPNG(width: 8, height: 8)
        try await blocking { [service] in
            let client = try service.client()
            for (query, word) in [
                ("op=resize", "resize"), ("op=blur", "op"), ("op=resize&width=0", "width"),
                ("quality=101", "quality"), ("fit=squash&op=resize&width=5", "fit"), ("widht=5", "widht"),
            ] {
                let response = try Self.upload(client, png, query: query)
                #expect(response.status == 400, "\(query)")
                let error = try #require(try response.json()["error"] as? [String: String])
                #expect(error["code"] == "invalid_parameter")
                #expect(error["message"]?.contains(word) == true, "\(query): \(error["message"] ?? "")")
            }
            let missing = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "multipart/form-data; boundary=b")],
                body: Array("--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n".utf8))
            #expect(missing.status == 400)
            #expect((try missing.json()["error"] as? [String: String])?["code"] == "missing_file")
        }
    }

    @Test func refusesABodyOverTheLimitWith413() async throws {
        let small = try TestService { $0.http.limits.maxBodyBytes = 10_000 }
        defer { try? small.dropSchema() }
        try await blocking {
            let client = try small.client()
            let response = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png")],
                body: [UInt8](repeating: 1, count: 20_000))
            #expect(response.status == 413)
            #expect((try response.json()["error"] as? [String: String])?["code"] == "payload_too_large")
        }
    }

    @Test func unknownAndMalformedIdsAre404AndWrongMethodsAre405() async throws {
        try await blocking { [service] in
            let client = try service.client()
            #expect(try client.request("GET", "/api/images/\(UUID().uuidString)").status == 404)
            #expect(try client.request("GET", "/api/images/not-a-uuid").status == 404)
            #expect(try client.request("GET", "/api/images/\(UUID().uuidString)/download").status == 404)
            #expect(try client.request("DELETE", "/api/images/\(UUID().uuidString)").status == 404)
            #expect(try client.request("GET", "/nowhere").status == 404)
            let wrong = try client.request("PUT", "/api/images")
            #expect(wrong.status == 405)
            #expect(wrong.header("Allow")?.contains("POST") == true)
        }
    }

    // MARK: List and delete

    @Test func listsNewestFirstAcrossPagesAndDeletes() async throws {
        let png = TestImages.colorfulPNG(width: 8, height: 8)
        try await blocking { [service] in
            let client = try service.client()
            var ids: [String] = []
            for _ in 0..<5 {
                let accepted = try client.request(
                    "POST", "/api/images", headers: [("Content-Type", "image/png")], body: png)
                ids.append(try accepted.json()["id"] as! String)
            }
            var seen: [String] = []
            var next: String? = nil
            repeat {
                let query = "limit=2" + (next.map { "&before=\($0)" } ?? "")
                let page = try client.request("GET", "/api/images?\(query)").json()
                let items = try #require(page["items"] as? [[String: Any]])
                #expect(items.count <= 2)
                seen += items.compactMap { $0["id"] as? String }
                next = page["next"] as? String
            } while next != nil
            let ours = seen.filter(ids.contains)
            #expect(ours == ids.reversed())
            #expect(try client.request("GET", "/api/images?before=garbage").status == 400)

            #expect(try client.request("DELETE", "/api/images/\(ids[0])").status == 204)
            #expect(try client.request("GET", "/api/images/\(ids[0])").status == 404)
        }
    }

    @Test func metricsCountRequestsByRouteTemplateAndJobsByOutcome() async throws {
        let png = TestImages.colorfulPNG(width: 32, height: 32)
        try await blocking { [service] in
            let client = try service.client()
            let accepted = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png"), ("X-Request-Id", "trace-42")], body: png
            )
            #expect(accepted.header("X-Request-Id") == "trace-42")
            #expect(try client.request("GET", "/healthz").header("X-Request-Id")?.isEmpty == false)
            let id = try #require(try accepted.json()["id"] as? String)
            _ = try Self.waitForTerminal(client, id)
            let metrics = try client.request("GET", "/metrics")
            #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let text = metrics.text
            #expect(text.contains(#"imageproc_http_requests_total{method="POST",route="/api/images",status="202"}"#))
            #expect(text.contains(#"route="/api/images/{id}""#))
            #expect(!text.contains(id))
            #expect(text.contains(#"imageproc_jobs_total{op="grayscale",status="completed"}"#))
            #expect(text.contains("imageproc_job_duration_seconds_bucket"))
            #expect(text.contains("process_resident_memory_bytes"))
        }
    }

    @Test func healthAndReadinessAnswer() async throws {
        try await blocking { [service] in
            let client = try service.client()
            #expect(try client.request("GET", "/healthz").status == 200)
            #expect(try client.request("GET", "/readyz").status == 200)
            #expect(try client.request("GET", "/healthz?verbose=1").status == 400)
            #expect(try client.request("GET", "/readyz?verbose=1").status == 400)
        }
    }

    // MARK: Found by schemathesis (scripts/contract-test.sh)

    /// PostgreSQL's `jsonb` cannot hold `\u0000`: such metadata used to reach the INSERT and fail it with a 500.
    @Test func refusesMetadataHoldingNULWith400() async throws {
        let png = TestImages.colorfulPNG(width: 8, height: 8)
        let metadata = #"{"tag":"a\u0000b"}"#
        try await blocking { [service] in
            let client = try service.client()
            let responses = [
                try Self.upload(client, png, query: "", extraFields: [("metadata", metadata)]),
                try client.request(
                    "POST", "/api/images", headers: [("Content-Type", "image/png"), ("X-Image-Metadata", metadata)],
                    body: png),
                try client.request(
                    "POST", "/api/images", headers: [("Content-Type", "application/json")],
                    body: Array(#"{"image":"\#(Data(png).base64EncodedString())","metadata":{"k\u0000":1}}"#.utf8)),
            ]
            for response in responses {
                #expect(response.status == 400)
                #expect((try response.json()["error"] as? [String: String])?["code"] == "invalid_metadata")
            }
        }
    }

    /// A well-formed cursor naming a time PostgreSQL cannot hold used to fail the list query with a 500; such a
    /// cursor lies beyond every job, before or after.
    @Test func listsFromCursorsBeyondPostgreSQLsTimes() async throws {
        let png = TestImages.colorfulPNG(width: 8, height: 8)
        try await blocking { [service] in
            let client = try service.client()
            let accepted = try client.request(
                "POST", "/api/images", headers: [("Content-Type", "image/png")], body: png)
            let id = try accepted.json()["id"] as! String
            // Base64url of 7f ff ff …, the largest int8 microseconds, and of 80 00 00 …, the smallest.
            let afterAll = try client.request(
                "GET", "/api/images?limit=100&before=f\(String(repeating: "_", count: 31))")
            #expect(afterAll.status == 200)
            let items = try #require(try afterAll.json()["items"] as? [[String: Any]])
            #expect(items.contains { $0["id"] as? String == id })
            let beforeAll = try client.request("GET", "/api/images?before=g\(String(repeating: "A", count: 31))")
            #expect(beforeAll.status == 200)
            #expect((try beforeAll.json()["items"] as? [[String: Any]])?.isEmpty == true)
        }
    }
}
