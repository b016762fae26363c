import Foundation
import Logging
import Testing

@testable import HTTPProtocol
@testable import HTTPTransport
@testable import TestSupport

/// The server over real sockets, with a small responder that echoes what it was given.
@Suite struct HTTPServerTests {
    /// Echoes method, path and body length; `/slow` answers after 300 ms.
    struct EchoResponder: HTTPResponder {
        func respond(to request: HTTPRequest) async -> HTTPResponse {
            if request.head.path == "/slow" { try? await Task.sleep(for: .milliseconds(300)) }
            let text = "\(request.head.method.rawValue) \(request.head.path) \(request.body.count)"
            return HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: Array(text.utf8))
        }
    }

    final class RunningServer {
        let server: HTTPServer
        let port: Int

        init(configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configure(&configuration)
            var logger = Logger(label: "http-test")
            logger.logLevel = .warning
            server = try HTTPServer(configuration: configuration, responder: EchoResponder(), logger: logger)
            port = try server.start()
        }

        deinit { server.shutdown(timeout: .seconds(1)) }

        func client() throws -> TestHTTPClient { try TestHTTPClient(port: port) }
    }

    @Test func keepsTheConnectionAliveAcrossRequests() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            for index in 0..<3 {
                let response = try client.request("POST", "/n\(index)", body: [UInt8](repeating: 7, count: index * 10))
                #expect(response.status == 200)
                #expect(response.text == "POST /n\(index) \(index * 10)")
                #expect(response.header("Connection") == nil)
            }
        }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            try client.send(
                "GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz")
            #expect(try client.readResponse().text == "GET /slow 0")
            #expect(try client.readResponse().text == "GET /b 0")
            #expect(try client.readResponse().text == "POST /c 3")
        }
    }

    @Test func readsChunkedBodies() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            try client.send(
                "POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n")
            #expect(try client.readResponse().text == "POST /chunked 11")
        }
    }

    @Test func sendsContinueBeforeTheBodyIsSent() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            try client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("data")
            #expect(try client.readResponse().text == "POST /upload 4")
        }
    }

    @Test func refusesAnOversizedBodyBeforeReadingIt() async throws {
        try await blocking {
            let server = try RunningServer { $0.limits.maxBodyBytes = 1000 }
            let client = try server.client()
            try client.send("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(try response.json()["error"] != nil)
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByServer())
        }
    }

    @Test func refusesOversizedHeadersWith431() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n")
            #expect(try client.readResponse().status == 431)
        }
    }

    @Test func answersMalformedRequestsWith400AndCloses() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 400)
            let error = try #require(try response.json()["error"] as? [String: String])
            #expect(error["code"] == "bad_request")
            #expect(client.isClosedByServer())
        }
    }

    @Test func closesAfterConnectionCloseAndHTTP10() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            #expect(try client.request("GET", "/x", headers: [("Connection", "close")]).header("Connection") == "close")
            #expect(client.isClosedByServer())
            let old = try server.client()
            try old.send("GET /old HTTP/1.0\r\n\r\n")
            #expect(try old.readResponse().text == "GET /old 0")
            #expect(old.isClosedByServer())
        }
    }

    @Test func headGetsTheHeadOnly() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            let response = try client.request("HEAD", "/thing")
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == "\("HEAD /thing 0".utf8.count)")
            // The next response on the connection is intact, so no body bytes were sent for HEAD.
            #expect(try client.request("GET", "/next").text == "GET /next 0")
        }
    }

    @Test func anIdleOrSlowClientDoesNotBlockOthers() async throws {
        try await blocking {
            let server = try RunningServer()
            let idle = try (0..<50).map { _ in try server.client() }
            let partial = try server.client()
            try partial.send("POST /partial HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly some")
            // The partial body never completes: a server that waited on it would never answer this one.
            let other = try server.client()
            #expect(try other.request("GET", "/fast").text == "GET /fast 0")
            _ = idle
        }
    }

    @Test func answersAHalfClosedClient() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            try client.send("GET /half HTTP/1.1\r\nHost: a\r\n\r\n")
            client.finishSending()
            #expect(try client.readResponse().text == "GET /half 0")
            #expect(client.isClosedByServer())
        }
    }

    @Test func closesIdleKeepAliveConnectionsAfterTheTimeout() async throws {
        try await blocking {
            let server = try RunningServer { $0.idleTimeout = 1 }
            let client = try server.client()
            #expect(try client.request("GET", "/once").status == 200)
            // The timing is ConnectionTimeoutsTests'; this proves the wiring, returning as soon as the server closes.
            #expect(client.isClosedByServer(within: 3))
        }
    }

    /// Busy connections (here: each halfway through a head) keep their places; an idle one would give its own up.
    @Test func refusesConnectionsOverTheLimitWith503() async throws {
        try await blocking {
            let server = try RunningServer { $0.maxConnections = 2 }
            let first = try server.client()
            let second = try server.client()
            try first.send("GET /1 HTTP/1.1\r\n")
            try second.send("GET /2 HTTP/1.1\r\n")
            Thread.sleep(forTimeInterval: 0.2)
            let third = try server.client()
            let refused = try third.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
        }
    }
}
