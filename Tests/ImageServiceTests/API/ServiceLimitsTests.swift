import Foundation
import Testing

@testable import ImageService
@testable import Imaging
@testable import TestSupport

/// `GET /api/limits`: public, and what the running configuration enforces.
@Suite struct ServiceLimitsTests {
    @Test func answersWithoutATokenWithTheConfiguredLimits() async throws {
        let service = try TestService {
            $0.access = AccessPolicy(tokens: ["secret"])
            $0.http.limits.maxBodyBytes = 3_000_000
            $0.maxPixels = 4_000_000
            $0.jobs.maxEnlargement = 3
        }
        defer { try? service.dropSchema() }
        try await blocking {
            let client = try service.client()
            let response = try client.request("GET", "/api/limits")
            #expect(response.status == 200)
            let limits = try response.json()
            #expect(limits["max_upload_bytes"] as? Int == 3_000_000)
            #expect(limits["max_pixels"] as? Int == 4_000_000)
            #expect(limits["max_enlargement"] as? Int == 3)
            #expect(
                limits["dimension"] as? [String: Int] == [
                    "minimum": 1, "maximum": ProcessingOptions.dimensionRange.upperBound,
                ])
            #expect(limits["quality"] as? [String: Int] == ["minimum": 1, "maximum": 100])
            #expect(limits["default_quality"] as? Int == ProcessingOptions.defaultQuality)
            #expect(limits["max_wait_seconds"] as? Int == ImagesAPI.maxWaitSeconds)
            #expect(limits["operations"] as? [String] == ImageOperation.allCases.map(\.rawValue))
            #expect(limits["formats"] as? [String] == OutputFormat.allCases.map(\.rawValue))
            #expect(limits["input_formats"] as? [String] == ["jpeg", "png"])
            // The images themselves still need the token.
            #expect(try client.request("GET", "/api/images").status == 401)
            #expect(try client.request("GET", "/api/limits?x=1").status == 400)
        }
    }
}
