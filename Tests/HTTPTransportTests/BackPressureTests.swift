import Foundation
import Logging
import Synchronization
import Testing

@testable import HTTPProtocol
@testable import HTTPTransport
@testable import TestSupport

/// What one client can make the server hold or spend, over real sockets: pipelined responses, streamed bodies,
/// trickling bodies and readers, the body budget, and a reset during a slow handler.
@Suite struct BackPressureTests {
    /// A body of `count` bytes read in parts, counting the parts asked for.
    final class CountingSource: HTTPBodySource {
        let count: Int
        let reads = Atomic(0)

        init(count: Int) { self.count = count }

        func read(offset: Int, maxCount: Int) async throws -> [UInt8] {
            reads.add(1, ordering: .relaxed)
            return [UInt8](repeating: UInt8(truncatingIfNeeded: offset / maxCount), count: maxCount)
        }
    }

    /// `/big` answers 4 MiB at once, `/huge` 32 MiB, `/stream` 64 MiB from `source`, `/slow` after two seconds;
    /// `/upload` takes a body. Counts how many requests reached it.
    final class Responder: HTTPResponder {
        let calls = Atomic(0)
        let source = CountingSource(count: 64 * 1024 * 1024)

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            calls.add(1, ordering: .relaxed)
            switch request.head.path {
            case "/big":
                return HTTPResponse(status: .ok, body: [UInt8](repeating: 1, count: 4 * 1024 * 1024))
            case "/huge":
                return HTTPResponse(status: .ok, body: [UInt8](repeating: 2, count: 32 * 1024 * 1024))
            case "/stream":
                return HTTPResponse(status: .ok, bodySource: source)
            case "/slow":
                try? await Task.sleep(for: .seconds(2))
                return HTTPResponse(status: .ok)
            default:
                return HTTPResponse(status: .ok, body: Array("\(request.body.count)".utf8))
            }
        }
    }

    final class RunningServer {
        let server: HTTPServer
        let port: Int
        let responder = Responder()

        init(configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configure(&configuration)
            var logger = Logger(label: "back-pressure-test")
            logger.logLevel = .critical
            server = try HTTPServer(configuration: configuration, responder: responder, logger: logger)
            port = try server.start()
        }

        deinit { server.shutdown(timeout: .seconds(1)) }

        func client(timeoutSeconds: Int = 20) throws -> TestHTTPClient {
            try TestHTTPClient(port: port, timeoutSeconds: timeoutSeconds)
        }
    }

    /// The connection once started every pipelined request whatever output was waiting: eight unread 10 MiB
    /// downloads on one socket held them all.
    @Test func startsNoPipelinedRequestWhileTheOutputIsAboveTheHighWaterMark() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try TestHTTPClient(port: server.port, receiveBufferBytes: 4096)
            try client.send(String(repeating: "GET /big HTTP/1.1\r\nHost: a\r\n\r\n", count: 24))
            let calls = { server.responder.calls.load(ordering: .relaxed) }
            for _ in 0..<100 where calls() == 0 { Thread.sleep(forTimeInterval: 0.1) }
            Thread.sleep(forTimeInterval: 1)
            #expect(calls() == 1)
            // Reading lets the next ones through, in order.
            for _ in 0..<3 { #expect(try client.readResponse().body.count == 4 * 1024 * 1024) }
            #expect(calls() >= 3)
        }
    }

    @Test func readsAStreamedBodyOnlyAsFastAsTheClientTakesIt() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try TestHTTPClient(port: server.port, receiveBufferBytes: 4096)
            try client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
            Thread.sleep(forTimeInterval: 1)
            // Socket buffers take a few MiB at most; the other 56 MiB of the source are never asked for.
            #expect(server.responder.source.reads.load(ordering: .relaxed) * 256 * 1024 <= 8 * 1024 * 1024)
            let whole = try server.client()
            let response = try whole.request("GET", "/stream")
            #expect(response.body.count == 64 * 1024 * 1024)
            #expect(response.body[256 * 1024] == 1)
        }
    }

    /// A body declaring 100 KB and sending ten bytes every 200 ms once stayed open forever: each read reset the
    /// timer. Now it must average the minimum rate over each window.
    @Test func cutsOffABodyThatTricklesBelowTheMinimumRate() async throws {
        try await blocking {
            let server = try RunningServer { $0.transferWindow = 1 }
            let client = try server.client(timeoutSeconds: 10)
            try client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n")
            for _ in 0..<15 {
                // Stops dripping once the answer is there (the server reads and drops what follows it).
                guard client.receivesNothing(for: 0.2) else { break }
                guard (try? client.send(String(repeating: "x", count: 10))) != nil else { break }
            }
            let response = try client.readResponse()
            #expect(response.status == 408)
            #expect(client.isClosedByServer())
        }
    }

    @Test func acceptsABodyThatKeepsTheMinimumRate() async throws {
        try await blocking {
            let server = try RunningServer { $0.transferWindow = 1 }
            let client = try server.client(timeoutSeconds: 10)
            try client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 6000\r\n\r\n")
            for _ in 0..<6 {
                Thread.sleep(forTimeInterval: 0.4)
                try client.send(String(repeating: "x", count: 1000))
            }
            #expect(try client.readResponse().text == "6000")
        }
    }

    /// A response that the client reads slower than the minimum rate is cut off; the server does not keep it.
    @Test func cutsOffAReaderThatTakesTooLittle() async throws {
        try await blocking {
            let server = try RunningServer {
                $0.transferWindow = 1
                $0.maxConnections = 1
            }
            let client = try TestHTTPClient(port: server.port, receiveBufferBytes: 4096)
            try client.send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
            // Windows of 1 s, checked about once a second: closed after two or three. Reading would speed the reader
            // up, so the close is seen from outside instead: once the answer streams, the only connection slot is the
            // reader's (busy, so it gives no place to a newcomer) until the server lets it go.
            for _ in 0..<100 where server.responder.source.reads.load(ordering: .relaxed) == 0 {
                Thread.sleep(forTimeInterval: 0.05)
            }
            for _ in 0..<40 {
                if (try? server.client().request("GET", "/x").status) == 200 { break }
                Thread.sleep(forTimeInterval: 0.25)
            }
            let received = client.drainUntilClosed()
            #expect(received > 0)
            #expect(received < 64 * 1024 * 1024)
        }
    }

    /// With the budget spent, a further body is not read (no `100 Continue`) until a body ahead of it is done.
    @Test func holdsBodiesBeyondTheBudgetUntilOneIsDone() async throws {
        try await blocking {
            let server = try RunningServer {
                $0.limits.maxBodyBytes = 64 * 1024
                $0.bodyBudgetBytes = 128 * 1024
            }
            let head = "POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 65536\r\n\r\n"
            let first = try server.client()
            let second = try server.client()
            try first.send(head)
            try second.send(head)
            #expect(try first.readResponse().status == 100)
            #expect(try second.readResponse().status == 100)
            let third = try server.client()
            try third.send(head)
            #expect(third.receivesNothing(for: 1))
            try first.send([UInt8](repeating: 0, count: 65536))
            #expect(try first.readResponse().text == "65536")
            // The first's body is done and its budget back: the third is let in.
            #expect(try third.readResponse().status == 100)
            try third.send([UInt8](repeating: 0, count: 65536))
            #expect(try third.readResponse().text == "65536")
        }
    }

    /// Output waiting on all connections together is bounded: once it reaches the budget, no connection starts a
    /// request until clients read. (1500 connections pipelining unread requests once held 150 MB.)
    @Test func startsNoRequestAnywhereWhileAllOutputTogetherIsOverBudget() async throws {
        try await blocking {
            let server = try RunningServer { $0.outputBudgetBytes = 1024 * 1024 }
            let hoarder = try TestHTTPClient(port: server.port, receiveBufferBytes: 4096)
            // Far more than socket buffers take, so most of it waits in the server.
            try hoarder.send("GET /huge HTTP/1.1\r\nHost: a\r\n\r\n")
            let calls = { server.responder.calls.load(ordering: .relaxed) }
            for _ in 0..<100 where calls() == 0 { Thread.sleep(forTimeInterval: 0.1) }
            Thread.sleep(forTimeInterval: 0.3)
            let other = try server.client()
            try other.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(other.receivesNothing(for: 1))
            #expect(calls() == 1)
            // The hoarder reads: the output drains below the budget, and the other request starts.
            #expect(try hoarder.readResponse().body.count == 32 * 1024 * 1024)
            #expect(try other.readResponse().text == "0")
        }
    }

    /// Sockets opened and left silent once held their slots for the whole idle timeout (60 s): 4096 of them locked
    /// everyone out. Now the first request is due by the header deadline, and at the limit an idle connection makes
    /// room for a new client.
    @Test func closesASilentNewConnectionByTheHeaderDeadline() async throws {
        try await blocking {
            let server = try RunningServer { $0.headerTimeout = 1 }
            let silent = try server.client(timeoutSeconds: 10)
            let response = try silent.readResponse()
            #expect(response.status == 408)
            #expect(silent.isClosedByServer())
        }
    }

    @Test func anIdleConnectionMakesRoomAtTheConnectionLimit() async throws {
        try await blocking {
            let server = try RunningServer { $0.maxConnections = 4 }
            var idle: [TestHTTPClient] = []
            for _ in 0..<4 {
                let client = try server.client()
                #expect(try client.request("GET", "/x").status == 200)
                idle.append(client)
            }
            let newcomer = try server.client()
            #expect(try newcomer.request("GET", "/x").status == 200)
            #expect(idle.filter { $0.isClosedByServer(within: 0.5) }.count == 1)
        }
    }

    /// A client reset while its request was with a slow handler once left the socket parked with EPOLLHUP
    /// reported forever: the loop thread spun at 100 %.
    @Test func doesNotSpinAfterAClientResetsDuringASlowHandler() async throws {
        try await blocking {
            let server = try RunningServer()
            let client = try server.client()
            try client.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.2)
            client.reset()
            Thread.sleep(forTimeInterval: 0.2)
            let before = LoopThreads.cpuSeconds()
            Thread.sleep(forTimeInterval: 1)
            let after = LoopThreads.cpuSeconds()
            let busiest = after.map { id, seconds in seconds - (before[id] ?? 0) }.max() ?? 0
            #expect(busiest < 0.3, "a loop thread used \(busiest) s of CPU in 1 s")
            #expect(try server.client().request("GET", "/x").status == 200)
        }
    }
}

/// CPU time of this process's event-loop threads (named `imageproc-http`), from /proc.
enum LoopThreads {
    static func cpuSeconds() -> [String: Double] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var result: [String: Double] = [:]
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for task in tasks {
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                name.hasPrefix("imageproc-http"),
                let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // Fields after the command: state is the 3rd field of the line; utime and stime are the 14th and 15th.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            result[task] = (user + system) / ticks
        }
        return result
    }
}
