import Foundation
import Testing

@testable import HTTPProtocol
@testable import ImageService
@testable import TestSupport

/// Issue 12 finding 7: the raw method was a label, so each made-up method a client sent (no token needed, a 401 or
/// 405 is counted too) made a series of its own, kept forever.
@Suite struct ServiceMetricsTests {
    private static func madeUpMethods(_ count: Int) -> [String] {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return (0..<count).map { index in
            "X\(index)" + String((0..<8).map { _ in letters.randomElement(using: &generator)! })
        }
    }

    @Test func countsMadeUpMethodsInOneOtherSeries() {
        let queue = WorkQueue(capacity: 1, byteCapacity: 1)
        let metrics = ServiceMetrics(
            jobs: JobMetrics(), queue: queue,
            admission: JobAdmission(queue: queue, budget: ImageWorkBudget(slots: 1), settings: JobSettings()))
        for method in Self.madeUpMethods(300) + ["get", "Get", "CONNECT"] {
            metrics.recordRequest(
                method: HTTPMethod(rawValue: method), route: "unauthorized", status: .unauthorized, seconds: 0.001,
                bytesIn: 0, bytesOut: 0)
        }
        metrics.recordRequest(
            method: .get, route: "/api/images", status: .ok, seconds: 0.001, bytesIn: 0, bytesOut: 10)
        let series = metrics.render().split(separator: "\n").filter { $0.hasPrefix("imageproc_http_requests_total{") }
        #expect(
            series == [
                #"imageproc_http_requests_total{method="GET",route="/api/images",status="200"} 1"#,
                #"imageproc_http_requests_total{method="other",route="unauthorized",status="401"} 303"#,
            ])
    }

    @Test func keepsEveryStandardMethod() {
        for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
            #expect(ServiceMetrics.methodLabel(HTTPMethod(rawValue: method)) == method)
        }
        #expect(ServiceMetrics.methodLabel(HTTPMethod(rawValue: "TRACE")) == "other")
    }

    /// Over real sockets, with tokens on as in production: 50 requests with random methods, none authorised, leave
    /// `/metrics` the size it was (give or take the digits of a count).
    @Test func randomMethodsDoNotGrowTheExposition() async throws {
        let service = try TestService { $0.access = AccessPolicy(tokens: ["s3cret-token"]) }
        defer { try? service.dropSchema() }
        try await blocking {
            let client = try service.client()
            // One of each kind first, so that the series they need (and their routes' histograms) exist.
            _ = try client.request("GET", "/api/images")
            _ = try client.request("BREW", "/api/images")
            _ = try client.request("BREW", "/nowhere")
            _ = try client.request("GET", "/metrics")
            let first = try client.request("GET", "/metrics").text
            let before = first.utf8.count
            for method in Self.madeUpMethods(50) {
                let target = Bool.random() ? "/api/images" : "/nowhere-\(method)"
                let response = try client.request(method, target)
                #expect(response.status >= 400)
            }
            let metrics = try client.request("GET", "/metrics")
            #expect(metrics.status == 200)
            let added = Set(metrics.text.split(separator: "\n")).subtracting(first.split(separator: "\n"))
                .filter { !$0.hasPrefix("process_") }
            #expect(metrics.body.count < before + 256, "grew from \(before) to \(metrics.body.count) bytes: \(added)")
            #expect(!metrics.text.contains("method=\"X"))
        }
    }
}
