import Foundation
import Testing

@testable import ImageService
@testable import TestSupport

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
        #expect(
            policy.corsHeaders(origin: "https://app.example")["Access-Control-Allow-Origin"] == "https://app.example")
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
            #expect(
                try client.request("GET", "/api/images", headers: [("Authorization", "Bearer wrong")]).status == 401)
            #expect(
                try client.request("GET", "/api/images", headers: [("Authorization", "Bearer tok-123")]).status == 200)
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
                "GET", "/api/images",
                headers: [("Origin", "https://evil.example"), ("Authorization", "Bearer tok-123")])
            #expect(foreign.header("Access-Control-Allow-Origin") == nil)
        }
    }
}

/// Every spelling of every protected route, with tokens on, against the real service: none gets past the token.
/// `//api/images`, `/%2Fapi/…` and `http://x//api/…` once listed, downloaded and deleted without one.
@Suite struct TokenBypassTests {
    static let token = "tok-bypass-123"

    /// Ways to write `path` that must either be refused (400) or reach the same route (and so need the token).
    static func spellings(of path: String) -> [String] {
        let tail = String(path.dropFirst())
        var spellings = [
            "/" + path, "/%2F" + tail, "/%2f" + tail, path + "/", path + "//", "/." + path, "/x/.." + path,
            "/%2e" + path, path.replacingOccurrences(of: "/", with: "//"),
            path.replacingOccurrences(of: "/", with: "/./"),
            "http://x/" + path, "HTTP://X" + path, "http://localhost:8080" + path, "http://x" + path + "/",
            path.replacingOccurrences(of: "a", with: "%61"), path.replacingOccurrences(of: "/", with: "%2F"),
            path.replacingOccurrences(of: "/", with: "\\"), path.replacingOccurrences(of: "/", with: "%5C"),
            path + "%00", path + "%0d%0a", path + "?", path + "?x=1&wait=0", "/API" + path.dropFirst(4),
        ]
        for index in path.indices where path[index] == "/" && index != path.startIndex {
            var doubled = path
            doubled.insert("/", at: index)
            spellings.append(doubled)
        }
        return spellings
    }

    @Test func noSpellingOfAProtectedRouteGetsPastTheToken() async throws {
        let service = try TestService { $0.access = AccessPolicy(tokens: [Self.token]) }
        defer { try? service.dropSchema() }
        try await blocking {
            let owner = try service.client()
            let auth = [("Authorization", "Bearer \(Self.token)")]
            let image = try FixtureFiles.bytes("texture-baseline.jpg")
            let created = try owner.request(
                "POST", "/api/images?op=grayscale", headers: auth + [("Content-Type", "image/jpeg")], body: image)
            #expect(created.status == 202)
            let id = try #require(try created.json()["id"] as? String)
            let routes: [(String, String)] = [
                ("GET", "/api/images"), ("POST", "/api/images"), ("GET", "/api/images/\(id)"),
                ("DELETE", "/api/images/\(id)"), ("GET", "/api/images/\(id)/download"),
                ("GET", "/api/images/\(id)/original"), ("HEAD", "/api/images/\(id)/original"),
            ]
            for (method, path) in routes {
                for target in Self.spellings(of: path) {
                    let attacker = try service.client()
                    let body = method == "POST" ? image : []
                    let response = try attacker.request(method, target, body: body)
                    #expect(
                        [400, 401, 404, 405].contains(response.status), "\(method) \(target) → \(response.status)")
                }
            }
            // Nothing was deleted on the way.
            #expect(try owner.request("GET", "/api/images/\(id)", headers: auth).status == 200)
        }
    }

    /// Found by an outside attack on the running service: a protected path answered 405 with its methods to a
    /// client without the token, and of two `Authorization` fields the first decided.
    @Test func aProtectedPathSaysNothingWithoutTheTokenAndTwoAuthorizationsCountAsNone() async throws {
        let service = try TestService { $0.access = AccessPolicy(tokens: [Self.token]) }
        defer { try? service.dropSchema() }
        try await blocking {
            let client = try service.client()
            let put = try client.request("PUT", "/api/images")
            #expect(put.status == 401)
            #expect(put.header("Allow") == nil)
            let valid = ("Authorization", "Bearer \(Self.token)")
            let twice = try client.request("GET", "/api/images", headers: [valid, ("Authorization", "Bearer x")])
            #expect(twice.status == 401)
            #expect(try client.request("GET", "/api/images", headers: [valid]).status == 200)
            #expect(try client.request("PUT", "/api/images", headers: [valid]).status == 405)
            let repeated = try client.request("GET", "/api/images?limit=1&limit=2", headers: [valid])
            #expect(repeated.status == 400)
            #expect((try repeated.json()["error"] as? [String: String])?["message"]?.contains("more than once") == true)
        }
    }

    /// A refused upload is answered from its head: no `100 Continue`, nothing of its body read or reserved, the
    /// connection closed.
    @Test func refusesAnUnauthenticatedUploadBeforeItsBody() async throws {
        let service = try TestService { $0.access = AccessPolicy(tokens: [Self.token]) }
        defer { try? service.dropSchema() }
        try await blocking {
            let before = ProcessStatistics.current().residentBytes
            var attackers: [TestHTTPClient] = []
            for _ in 0..<8 {
                let attacker = try service.client()
                try attacker.send(
                    "POST /api/images HTTP/1.1\r\nHost: a\r\nContent-Type: image/jpeg\r\nExpect: 100-continue\r\n"
                        + "Content-Length: 52428800\r\n\r\n")
                let response = try attacker.readResponse()
                #expect(response.status == 401)
                #expect(response.header("Connection") == "close")
                attackers.append(attacker)
            }
            // One that does not wait for 100 Continue and starts sending: answered, then closed.
            let eager = try service.client()
            try eager.send(
                "POST /api/images HTTP/1.1\r\nHost: a\r\nContent-Length: 52428800\r\n\r\n"
                    + String(repeating: "x", count: 100_000))
            #expect(try eager.readResponse().status == 401)
            #expect(eager.drainUntilClosed() == 0)
            for attacker in attackers { #expect(attacker.isClosedByServer()) }
            let grown = ProcessStatistics.current().residentBytes - before
            #expect(grown < 32 * 1024 * 1024, "resident memory grew by \(Int(grown)) bytes")
        }
    }
}
