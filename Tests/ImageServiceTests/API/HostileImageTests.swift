import Foundation
import Testing

@testable import ImageService
@testable import TestSupport

/// The hostile images of issue 5 uploaded to the real service (real socket, PostgreSQL, workers, kernel): each is
/// refused at upload with a 4xx and an error code, or accepted and then `failed` with a code and a message; the
/// service stays alive and keeps serving.
@Suite(.serialized) final class HostileImageTests {
    let service: TestService

    init() throws {
        // A low pixel limit, so that "too large" is reached by small files.
        service = try TestService { $0.maxPixels = 4_000_000 }
    }

    deinit {
        try? service.dropSchema()
    }

    /// What the service must do with an upload: refuse it with this status and code, fail the job with this code,
    /// or complete it (the pixels are all there; what lies beyond them is never inflated).
    enum Outcome: Sendable {
        case refused(Int, String)
        case failed(String)
        case completes
    }

    struct Hostile: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: @Sendable () throws -> [UInt8]
        var outcome: Outcome
        var testDescription: String { name }
    }

    private static let png = TestImages.colorfulPNG(width: 64, height: 48)

    private static func jpeg() throws -> [UInt8] { try TestImages.colorfulJPEG(width: 64, height: 48) }

    /// A PNG with `width`×`height` in its header and the rest of the file valid for an 8×8 image.
    private static func pngClaiming(width: UInt32, height: UInt32) -> [UInt8] {
        var header = PNGFixture.image(width: 8, height: 8, colorType: .rgb) { _, _ in [1, 2, 3] }
        let size = [width, height].flatMap { value in (0..<4).reversed().map { UInt8(value >> ($0 * 8) & 0xFF) } }
        header.replaceSubrange(16..<24, with: size)
        // IHDR's CRC covers type and data: bytes 12..<29, CRC at 29..<33.
        let crc = PNGFixture.crc32(Array(header[12..<29]))
        header.replaceSubrange(29..<33, with: (0..<4).reversed().map { UInt8(crc >> ($0 * 8) & 0xFF) })
        return header
    }

    /// A JPEG whose SOF0 claims 65 000 × 65 000 and which stops right after its headers.
    private static func jpegClaimingHugeSize() throws -> [UInt8] {
        var bytes = try jpeg()
        let sof = try #require((0..<bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])
        let scan = try #require((0..<bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA })
        return Array(bytes.prefix(scan))
    }

    static let table: [Hostile] = [
        Hostile(name: "zero bytes", bytes: { [] }, outcome: .refused(400, "missing_file")),
        Hostile(
            name: "an HTML page named like a JPEG", bytes: { Array("<!doctype html><script>alert(1)</script>".utf8) },
            outcome: .refused(415, "unsupported_media_type")),
        Hostile(
            name: "a PNG signature only", bytes: { Array(png.prefix(8)) }, outcome: .refused(422, "truncated_image")),
        Hostile(
            name: "a PNG cut inside IHDR", bytes: { Array(png.prefix(20)) }, outcome: .refused(422, "truncated_image")),
        Hostile(
            name: "a PNG cut inside IDAT", bytes: { Array(png.prefix(png.count / 2)) },
            outcome: .failed("truncated_image")),
        Hostile(
            name: "a JPEG cut after SOI", bytes: { Array(try jpeg().prefix(4)) },
            outcome: .refused(422, "truncated_image")),
        Hostile(
            name: "a JPEG cut in its entropy-coded data",
            bytes: {
                let j = try jpeg()
                return Array(j.prefix(j.count - 40))
            },
            outcome: .failed("truncated_image")),
        Hostile(
            name: "a PNG header claiming 100 000 × 100 000", bytes: { pngClaiming(width: 100_000, height: 100_000) },
            outcome: .refused(422, "too_many_pixels")),
        Hostile(
            name: "a JPEG claiming 65 000 × 65 000 with no data", bytes: { try jpegClaimingHugeSize() },
            outcome: .refused(422, "too_many_pixels")),
        Hostile(
            name: "a PNG with a bad IDAT CRC",
            bytes: {
                var bytes = png
                bytes[bytes.count - 13] ^= 0xFF  // the last byte of IDAT's CRC (IEND is the final 12 bytes)
                return bytes
            }, outcome: .failed("corrupt_image")),
        Hostile(name: "a zip-bomb-like IDAT", bytes: { PNGFixture.zipBomb() }, outcome: .completes),
        Hostile(
            name: "a progressive JPEG repeating a refinement scan 490 times",
            bytes: { try RepeatedScans.repeatedRefinement() }, outcome: .refused(422, "too_complex")),
    ]

    /// Issue 12: a 69-byte 1 × 1 PNG could ask for a 10 000 × 10 000 job. Enlarging stays allowed up to the
    /// factor per side (8 by default), and anything beyond is refused before it is stored.
    @Test func refusesAnEnlargementBeyondTheFactorAtUpload() async throws {
        let tiny = PNGFixture.image(width: 1, height: 1, colorType: .rgb) { _, _ in [200, 100, 50] }
        try await blocking { [service] in
            let client = try service.client()
            for query in ["op=resize&width=10000", "op=resize&height=9", "op=resize&width=8&height=100&fit=fill"] {
                let refused = try client.request(
                    "POST", "/api/images?\(query)", headers: [("Content-Type", "image/png")], body: tiny)
                #expect(refused.status == 400, "\(query)")
                let error = try #require(try refused.json()["error"] as? [String: String])
                #expect(error["code"] == "invalid_parameter")
                #expect(error["message"]?.contains("(at most 8×)") == true, "\(error)")
            }
            let refused = try client.request(
                "POST", "/api/images?op=resize&width=10000", headers: [("Content-Type", "image/png")], body: tiny)
            let message = try #require(try refused.json()["error"] as? [String: String])["message"]
            #expect(message == "width 10000 would enlarge the 1 x 1 image 10000× (at most 8×)")

            let accepted = try client.request(
                "POST", "/api/images?op=resize&width=8", headers: [("Content-Type", "image/png")], body: tiny)
            #expect(accepted.status == 202)
            let status = try Self.terminalStatus(client, try #require(try accepted.json()["id"] as? String))
            #expect(status["status"] as? String == "completed")
        }
    }

    @Test(arguments: table)
    func refusesOrFailsHostileImagesAndStaysUp(_ hostile: Hostile) async throws {
        let bytes = try hostile.bytes()
        try await blocking { [service] in
            let client = try service.client()
            let response = try client.request(
                "POST", "/api/images?op=resize,grayscale&width=32", headers: [("Content-Type", "image/jpeg")],
                body: bytes)
            let body = try response.json()
            switch hostile.outcome {
            case .refused(let status, let code):
                #expect(response.status == status)
                #expect((body["error"] as? [String: String])?["code"] == code)
            case .failed(let code):
                #expect(response.status == 202)
                let status = try Self.terminalStatus(client, try #require(body["id"] as? String))
                #expect(status["status"] as? String == "failed")
                let error = try #require(status["error"] as? [String: String])
                #expect(error["code"] == code)
                #expect(error["message"]?.isEmpty == false)
            case .completes:
                #expect(response.status == 202)
                let status = try Self.terminalStatus(client, try #require(body["id"] as? String))
                #expect(status["status"] as? String == "completed")
            }
            // Alive, and still processing real images.
            #expect(try client.request("GET", "/healthz").status == 200)
            let good = try client.request(
                "POST", "/api/images?op=grayscale", headers: [("Content-Type", "image/png")], body: Self.png)
            let goodStatus = try Self.terminalStatus(client, try #require(try good.json()["id"] as? String))
            #expect(goodStatus["status"] as? String == "completed")
        }
    }

    private static func terminalStatus(_ client: TestHTTPClient, _ id: String) throws -> [String: Any] {
        for _ in 0..<6 {
            let status = try client.request("GET", "/api/images/\(id)?wait=10").json()
            if let value = status["status"] as? String, value == "completed" || value == "failed" { return status }
        }
        throw TestHTTPClient.Failure("job \(id) did not finish within a minute")
    }
}
