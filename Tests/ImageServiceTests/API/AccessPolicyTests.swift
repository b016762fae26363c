import Foundation
import Testing

@testable import ImageService

@Suite struct AccessPolicyTests {
    @Test func acceptsOnlyAConfiguredBearerToken() {
        let policy = AccessPolicy(tokens: ["s3cret", "other-token"])
        #expect(policy.permits(authorization: "Bearer s3cret"))
        #expect(policy.permits(authorization: "bearer other-token"))
        #expect(!policy.permits(authorization: "Bearer s3cre"))
        #expect(!policy.permits(authorization: "Bearer s3cretX"))
        #expect(!policy.permits(authorization: "Basic s3cret"))
        #expect(!policy.permits(authorization: nil))
        #expect(!policy.permits(authorization: "Bearer "))
    }

    @Test func asksForATokenOnlyOnProtectedRoutesAndOnlyWhenTokensAreSet() {
        let open = AccessPolicy()
        #expect(open.permits(.token, authorization: nil))
        let closed = AccessPolicy(tokens: ["t"])
        #expect(!closed.permits(.token, authorization: nil))
        #expect(closed.permits(.token, authorization: "Bearer t"))
        #expect(closed.permits(.public, authorization: nil))
    }

    /// The comparison once cut the length difference to 8 bits: the token plus 256 bytes of junk was accepted.
    @Test func refusesTheTokenFollowedByAnyNumberOfExtraBytes() {
        let policy = AccessPolicy(tokens: ["s3cret"])
        for extra in [1, 255, 256, 512, 1024] {
            #expect(!policy.permits(authorization: "Bearer s3cret" + String(repeating: "x", count: extra)), "\(extra)")
        }
        #expect(!policy.permits(authorization: "Bearer " + String(repeating: "s3cret", count: 43)))
    }

    @Test func addsCORSHeadersOnlyForAllowedOrigins() {
        let policy = AccessPolicy(allowedOrigins: ["https://app.example"])
        #expect(policy.corsHeaders(origin: "https://app.example")["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(policy.corsHeaders(origin: "https://evil.example").isEmpty)
        #expect(policy.corsHeaders(origin: nil).isEmpty)
        #expect(AccessPolicy().corsHeaders(origin: "https://app.example").isEmpty)
    }
}

/// Tokens and CORS through a real service.
@Suite struct AccessControlTests {
    @Test func theAPINeedsATokenWhileHealthAndMetricsStayOpen() async throws {
        let service = try TestService {
            $0.access = AccessPolicy(tokens: ["tok-123"], allowedOrigins: ["https://app.example"])
        }
        defer { try? service.dropSchema() }
        try await blocking {
            let client = try service.client()
            let refused = try client.request("GET", "/api/images")
            #expect(refused.status == 401)
            #expect(refused.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect((try refused.json()["error"] as? [String: String])?["code"] == "unauthorized")
            #expect(try client.request("GET", "/api/images", headers: [("Authorization", "Bearer wrong")]).status == 401)
            #expect(try client.request("GET", "/api/images", headers: [("Authorization", "Bearer tok-123")]).status == 200)
            #expect(try client.request("GET", "/healthz").status == 200)
            #expect(try client.request("GET", "/metrics").status == 200)

            let preflight = try client.request(
                "OPTIONS", "/api/images",
                headers: [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST")])
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Origin") == "https://app.example")
            #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true)
            #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
            let foreign = try client.request(
                "GET", "/api/images", headers: [("Origin", "https://evil.example"), ("Authorization", "Bearer tok-123")])
            #expect(foreign.header("Access-Control-Allow-Origin") == nil)
        }
    }
}
