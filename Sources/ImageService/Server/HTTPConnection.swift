import CSystemShims
import Glibc

/// One client connection, driven by its event loop: reads bytes into the request parser, hands complete requests to
/// the server one at a time (pipelined ones wait their turn, in order), and writes responses as the socket takes
/// them.
///
/// Confined to the loop thread. While a request is with the responder the connection stops reading, which is the
/// back-pressure on a client that pipelines faster than it is answered.
final class HTTPConnection {
    private enum Phase {
        /// Between requests, since the given second.
        case idle(since: Int64)
        /// Part of a header section has arrived; it must be complete by the deadline.
        case readingHead(deadline: Int64)
        /// The head is in; the body must keep moving.
        case readingBody(lastProgress: Int64)
        /// The request is with the responder.
        case awaitingResponse(RequestInFlight)
        /// The connection will close once the output is written.
        case closing
    }

    /// What the access log and the response need to know of the request being answered.
    struct RequestInFlight {
        var method: HTTPMethod
        var path: String
        var keepAlive: Bool
        var started: ContinuousClock.Instant
        var requestID: String
    }

    let id: Int
    private let socket: Socket
    private unowned let server: HTTPServer
    private var parser: HTTPRequestParser
    private var phase: Phase
    private var outbound: [[UInt8]] = []
    private var outboundOffset = 0
    private var lastWriteProgress: Int64 = 0
    private var watchedEvents: UInt32 = 0
    private var inputClosed = false
    private(set) var isClosed = false

    init(id: Int, socket: Socket, server: HTTPServer, limits: HTTPLimits, now: Int64) {
        self.id = id
        self.socket = socket
        self.server = server
        self.parser = HTTPRequestParser(limits: limits)
        self.phase = .idle(since: now)
    }

    var descriptor: Int32 { socket.descriptor }

    /// Whether closing this connection now would cut no request short (used when draining).
    var isIdle: Bool {
        if case .idle = phase { return outbound.isEmpty }
        return false
    }

    func start() throws(SystemError) {
        try server.loop.register(socket.descriptor, events: EPOLLIN.rawValue) { [unowned self] events in
            self.handle(events: events)
        }
        watchedEvents = EPOLLIN.rawValue
    }

    // MARK: Events

    private func handle(events: UInt32) {
        if events & EPOLLOUT.rawValue != 0 { flush() }
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0, !isClosed { readAvailable() }
    }

    private func readAvailable() {
        guard isReading else { return }
        let buffer = server.readBuffer
        while !isClosed {
            let result: IOResult<Int>
            do {
                result = try socket.read(into: buffer)
            } catch {
                close()
                return
            }
            switch result {
            case .wouldBlock:
                processInput()
                return
            case .processed(0):
                // The peer closed its side: answer what already arrived complete, then close.
                inputClosed = true
                processInput()
                if case .awaitingResponse = phase {
                    updateWatchedEvents()
                } else if outbound.isEmpty {
                    close()
                } else {
                    phase = .closing
                }
                return
            case .processed(let count):
                parser.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                if case .readingBody = phase { phase = .readingBody(lastProgress: monotonicSeconds()) }
                if count < buffer.count {
                    processInput()
                    return
                }
            }
        }
    }

    private var isBetweenRequests: Bool {
        switch phase {
        case .idle, .readingHead, .readingBody: true
        case .awaitingResponse, .closing: false
        }
    }

    /// Whether the socket is read: between requests and while the peer still sends.
    private var isReading: Bool { !inputClosed && isBetweenRequests }

    /// Pulls events from the parser until it needs more bytes or a request goes to the responder.
    private func processInput() {
        while !isClosed, isBetweenRequests {
            let event: HTTPParserEvent
            do {
                event = try parser.next()
            } catch {
                failRequest(error)
                return
            }
            switch event {
            case .needMoreData:
                // Not `bufferedByteCount > 0`: complete lines are consumed, so a client dripping whole header
                // lines would leave nothing buffered and never start the header deadline (slowloris).
                if case .idle = phase, !parser.isIdle {
                    phase = .readingHead(deadline: monotonicSeconds() + server.configuration.headerTimeout)
                }
                return
            case .head(let head):
                phase = .readingBody(lastProgress: monotonicSeconds())
                if head.expectsContinue, head.version == .http1_1 {
                    // curl waits a second for this before sending a body over 1 MiB.
                    enqueue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                    flush()
                }
            case .request(let request):
                let inFlight = RequestInFlight(
                    method: request.head.method, path: request.head.path, keepAlive: request.head.keepAlive,
                    started: .now, requestID: RequestID.accept(request.head.headers["X-Request-Id"]))
                phase = .awaitingResponse(inFlight)
                updateWatchedEvents()
                server.dispatch(request, id: inFlight.requestID, from: id)
            }
        }
    }

    /// Answers a request the parser rejected, then closes: the stream can no longer be framed.
    private func failRequest(_ error: HTTPParseError) {
        let response = HTTPResponse.error(
            status: error.status, code: error.code, message: error.message,
            headers: ["X-Request-Id": RequestID.accept(nil)])
        server.logRejected(error)
        enqueue(response.serialized(keepAlive: false, date: server.currentDate()))
        phase = .closing
        flush()
    }

    /// Sends the responder's answer to the request in flight (loop thread).
    func send(_ response: HTTPResponse) {
        guard case .awaitingResponse(let request) = phase, !isClosed else { return }
        var response = response
        response.headers.replaceOrAdd(name: "X-Request-Id", value: request.requestID)
        let keepAlive = request.keepAlive && !server.isDraining && !inputClosed
        let date = server.currentDate()
        if request.method == .head {
            enqueue(response.serializedHead(keepAlive: keepAlive, date: date))
        } else {
            enqueue(response.serializedHead(keepAlive: keepAlive, date: date))
            if !response.body.isEmpty { enqueue(response.body) }
        }
        server.logCompleted(request, status: response.status, bodyBytes: response.body.count)
        phase = keepAlive ? .idle(since: monotonicSeconds()) : .closing
        flush()
        if keepAlive, !isClosed {
            // The next pipelined request may already be buffered.
            processInput()
            updateWatchedEvents()
        }
    }

    // MARK: Output

    private func enqueue(_ bytes: [UInt8]) {
        if outbound.isEmpty { lastWriteProgress = monotonicSeconds() }
        outbound.append(bytes)
    }

    private func flush() {
        while !outbound.isEmpty, !isClosed {
            let result: IOResult<Int>
            do {
                result = try outbound[0].withUnsafeBytes { bytes in
                    try socket.write(UnsafeRawBufferPointer(rebasing: bytes[outboundOffset...]))
                }
            } catch {
                close()
                return
            }
            switch result {
            case .wouldBlock:
                updateWatchedEvents()
                return
            case .processed(let written):
                lastWriteProgress = monotonicSeconds()
                outboundOffset += written
                if outboundOffset == outbound[0].count {
                    outbound.removeFirst()
                    outboundOffset = 0
                }
            }
        }
        if case .closing = phase {
            close()
        } else {
            updateWatchedEvents()
        }
    }

    private func updateWatchedEvents() {
        guard !isClosed else { return }
        var events: UInt32 = 0
        if isReading { events |= EPOLLIN.rawValue }
        if !outbound.isEmpty { events |= EPOLLOUT.rawValue }
        guard events != watchedEvents else { return }
        do {
            try server.loop.modify(socket.descriptor, events: events)
            watchedEvents = events
        } catch {
            close()
        }
    }

    // MARK: Timeouts and closing

    /// Closes the connection if it has overstayed the phase it is in (called about once a second).
    func checkTimeouts(now: Int64) {
        let configuration = server.configuration
        if !outbound.isEmpty, now - lastWriteProgress >= configuration.progressTimeout {
            close()
            return
        }
        switch phase {
        case .idle(let since) where now - since >= configuration.idleTimeout:
            close()
        case .readingHead(let deadline) where now >= deadline:
            failRequest(.init(status: .requestTimeout, code: "request_timeout", message: "the request head took too long"))
        case .readingBody(let lastProgress) where now - lastProgress >= configuration.progressTimeout:
            failRequest(.init(status: .requestTimeout, code: "request_timeout", message: "the request body stalled"))
        default:
            break
        }
    }

    /// Releases the socket. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        server.loop.deregister(socket.descriptor)
        socket.close()
        server.connectionClosed(id)
    }
}

@available(*, unavailable)
extension HTTPConnection: Sendable {}
