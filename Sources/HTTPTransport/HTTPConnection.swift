import CSystemShims
import Glibc
import HTTPProtocol

/// One client connection, driven by its event loop: reads bytes into the request parser, admits each request from
/// its head, hands complete requests to the server one at a time (pipelined ones wait their turn, in order), and
/// writes responses as the socket takes them.
///
/// Confined to the loop thread. What one connection can make the process hold is bounded at every step:
/// - a request is admitted or refused from its head (``HTTPResponder/admit(_:bodyBound:)``) before `100 Continue`
///   and before any body byte is read; a refused request with a body is answered, then the connection closes after a
///   short lingering read that drops whatever the client still sends;
/// - an admitted body first takes its bound from the server's ``BodyBudget``; while the budget is spent the socket is
///   not read at all;
/// - while a request is with the responder, or while more than `highWaterBytes` of output wait, the socket is not
///   read and the next pipelined request does not start;
/// - a streamed body (``HTTPBodySource``) is fetched one part at a time, only when the output has drained;
/// - bodies and responses must keep a minimum rate over every window (``TransferRate``), headers arrive by a
///   deadline, idle connections close.
final class HTTPConnection {
    private enum Phase {
        /// Between requests, since the given millisecond of the monotonic clock (as every time below).
        case idle(since: Int64)
        /// Part of a header section has arrived; it must be complete by the deadline.
        case readingHead(deadline: Int64)
        /// Admitted; waiting, since the given time, for the body budget to cover the body's bound.
        case awaitingBodyBudget(since: Int64, expectsContinue: Bool)
        /// The head is in and admitted; the body must keep its rate.
        case readingBody
        /// The request is with the responder.
        case awaitingResponse(RequestInFlight)
        /// The response's body is being read from its source part by part.
        case streaming(BodyStream)
        /// The connection will close once the output is written.
        case closing
        /// The answer is out and the write side shut; what the client still sends is read and dropped until the
        /// given time, so that a reset cannot destroy the answer before the client has read it.
        case lingering(until: Int64)
    }

    /// What the access log and the response need to know of the request being answered.
    struct RequestInFlight {
        var method: HTTPMethod
        var path: String
        var keepAlive: Bool
        var started: ContinuousClock.Instant
        var requestID: String
    }

    /// A body being streamed: where it stands, and what follows it.
    private struct BodyStream {
        var source: any HTTPBodySource
        var offset: Int
        var fetching: Bool
        var keepAlive: Bool
    }

    /// Output beyond which the next pipelined request waits and a streamed body fetches no further part.
    static let highWaterBytes = 64 * 1024
    /// How much of a streamed body is asked for at a time.
    static let streamPartBytes = 256 * 1024
    /// Reads per readiness event, so that one fast sender cannot hold the loop (level-triggered: the rest comes on
    /// the next turn).
    private static let readsPerEvent = 16
    /// How long a refused connection keeps reading and dropping what its client still sends.
    private static let lingerMilliseconds: Int64 = 2000

    let id: Int
    private let socket: Socket
    private unowned let server: HTTPServer
    private var parser: HTTPRequestParser
    private var phase: Phase
    private var outbound: [[UInt8]] = []
    private var outboundOffset = 0
    private var outboundBytes = 0
    /// The rate the pending output keeps, from when it became non-empty.
    private var writeRate: TransferRate?
    /// The rate the body being read keeps.
    private var readRate: TransferRate?
    /// Body-budget bytes this connection holds for the request being read or answered.
    private var heldBodyBytes = 0
    /// The answer to a bodyless request refused at its head, sent in place of the responder's.
    private var refusal: HTTPResponse?
    /// The responder's or the body source's work for this connection, cancelled if the connection closes first.
    private var pendingTask: Task<Void, Never>?
    private var watchedEvents: UInt32 = 0
    private var inputClosed = false
    private(set) var isClosed = false

    init(id: Int, socket: Socket, server: HTTPServer, limits: HTTPLimits, now: Int64) {
        self.id = id
        self.socket = socket
        self.server = server
        self.parser = HTTPRequestParser(limits: limits)
        // The first request must arrive as a head does, by the header deadline: a socket opened and left silent
        // would otherwise hold a connection slot for the whole idle timeout.
        self.phase = .readingHead(deadline: now + server.configuration.headerTimeout * 1000)
    }

    var descriptor: Int32 { socket.descriptor }

    /// Whether closing this connection now would cut no request short (used when draining, and to make room at
    /// the connection limit): between requests, or new and silent, with nothing left to write.
    var isIdle: Bool {
        switch phase {
        case .idle: outbound.isEmpty
        case .readingHead: parser.isIdle && outbound.isEmpty
        default: false
        }
    }

    func start() throws(SystemError) {
        try server.loop.register(socket.descriptor, events: EPOLLIN.rawValue) { [unowned self] events in
            self.handle(events: events)
        }
        watchedEvents = EPOLLIN.rawValue
    }

    // MARK: Events

    private func handle(events: UInt32) {
        // Errors and hang-ups are reported whatever the interest, also for a parked socket: close at once, or a
        // level-triggered loop would be woken for them forever.
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
            close()
            return
        }
        if events & EPOLLOUT.rawValue != 0 { flush() }
        if events & EPOLLIN.rawValue != 0, !isClosed { readAvailable() }
        resume()
    }

    private func readAvailable() {
        let buffer = server.readBuffer
        for _ in 0..<Self.readsPerEvent {
            guard isReading, !isClosed else { return }
            let result: IOResult<Int>
            do {
                result = try socket.read(into: buffer)
            } catch {
                close()
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .processed(0):
                inputEnded()
                return
            case .processed(let count):
                if case .lingering = phase { continue }
                parser.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                readRate?.record(count)
                processInput()
                if count < buffer.count { return }
            }
        }
    }

    /// The peer closed its side: answer what already arrived complete, then close.
    private func inputEnded() {
        inputClosed = true
        switch phase {
        case .lingering:
            close()
        case .awaitingResponse, .streaming:
            updateWatchedEvents()
        default:
            if outbound.isEmpty { close() } else { phase = .closing }
        }
    }

    /// Whether the socket is read: between requests while the output is low, while a body is read, and while
    /// lingering.
    private var isReading: Bool {
        guard !inputClosed else { return false }
        switch phase {
        case .idle, .readingHead: return mayStartRequest
        case .readingBody, .lingering: return true
        case .awaitingBodyBudget, .awaitingResponse, .streaming, .closing: return false
        }
    }

    /// Whether a new request may start: this connection's output is below the high-water mark, and all connections'
    /// output together below the server's budget.
    private var mayStartRequest: Bool {
        outboundBytes <= Self.highWaterBytes && !server.isOutputBudgetSpent
    }

    /// Whether the parser may be asked for the next event.
    private var isParsing: Bool {
        switch phase {
        case .idle, .readingHead: mayStartRequest
        case .readingBody: true
        default: false
        }
    }

    /// Pulls events from the parser until it needs more bytes or a request goes to the responder.
    private func processInput() {
        defer {
            if !isClosed, !isParsing, server.isOutputBudgetSpent {
                switch phase {
                case .idle, .readingHead: server.waitForOutputBudget(id)
                default: break
                }
            }
        }
        while !isClosed, isParsing {
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
                    phase = .readingHead(deadline: monotonicMilliseconds() + server.configuration.headerTimeout * 1000)
                }
                return
            case .head(let head):
                admit(head)
            case .request(let request):
                startResponding(to: request)
            }
        }
    }

    /// Decides on a request from its head: refuse it now, or take its body's bound from the budget and read on.
    private func admit(_ head: HTTPRequestHead) {
        let bound = parser.admissionBodyBound ?? 0
        if let response = server.responder.admit(head, bodyBound: bound) {
            if bound == 0 {
                // Nothing to skip: answer in order, after the (empty) body, and keep the connection.
                parser.acceptBody()
                refusal = response
                phase = .readingBody
            } else {
                refuse(head, with: response)
            }
            return
        }
        if bound == 0 || server.acquireBodyBudget(bound, for: id) {
            beginBody(bound: bound, expectsContinue: head.expectsContinue)
        } else {
            phase = .awaitingBodyBudget(since: monotonicMilliseconds(), expectsContinue: head.expectsContinue)
            updateWatchedEvents()
        }
    }

    /// The server's body budget now covers the waiting request (loop thread).
    func bodyBudgetGranted() {
        guard case .awaitingBodyBudget(_, let expectsContinue) = phase, !isClosed,
            let bound = parser.admissionBodyBound
        else { return }
        beginBody(bound: bound, expectsContinue: expectsContinue)
        processInput()
        updateWatchedEvents()
    }

    private func beginBody(bound: Int, expectsContinue: Bool) {
        heldBodyBytes = bound
        parser.acceptBody()
        phase = .readingBody
        readRate = TransferRate(
            bytesPerSecond: server.configuration.minimumTransferRate,
            windowSeconds: server.configuration.transferWindow, now: monotonicMilliseconds())
        if bound > 0, expectsContinue {
            // curl waits a second for this before sending a body over 1 MiB.
            enqueue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            flush()
        }
    }

    /// Answers a refused request whose body will not be read, and closes after a lingering read.
    private func refuse(_ head: HTTPRequestHead, with response: HTTPResponse) {
        var response = response
        response.headers.replaceOrAdd(name: "X-Request-Id", value: RequestID.accept(head.headers["X-Request-Id"]))
        server.logRefused(head, status: response.status)
        enqueue(response.serializedHead(keepAlive: false, date: server.currentDate()))
        if head.method != .head, !response.body.isEmpty { enqueue(response.body) }
        phase = .closing
        flush()
    }

    private func startResponding(to request: HTTPRequest) {
        readRate = nil
        if heldBodyBytes > request.body.count {
            // A chunked body took the body limit; keep only what it turned out to need.
            server.releaseBodyBudget(heldBodyBytes - request.body.count)
            heldBodyBytes = request.body.count
        }
        let inFlight = RequestInFlight(
            method: request.head.method, path: request.head.path, keepAlive: request.head.keepAlive,
            started: .now, requestID: RequestID.accept(request.head.headers["X-Request-Id"]))
        phase = .awaitingResponse(inFlight)
        if let refusal {
            self.refusal = nil
            send(refusal)
            return
        }
        updateWatchedEvents()
        pendingTask = server.dispatch(request, id: inFlight.requestID, from: id)
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

    /// The responder's answer arrived (loop thread): send it and move on.
    func deliver(_ response: HTTPResponse) {
        send(response)
        resume()
    }

    /// Sends the answer to the request in flight.
    private func send(_ response: HTTPResponse) {
        guard case .awaitingResponse(let request) = phase, !isClosed else { return }
        pendingTask = nil
        releaseHeldBodyBytes()
        var response = response
        response.headers.replaceOrAdd(name: "X-Request-Id", value: request.requestID)
        let keepAlive = request.keepAlive && !server.isDraining && !inputClosed
        enqueue(response.serializedHead(keepAlive: keepAlive, date: server.currentDate()))
        server.logCompleted(request, status: response.status, bodyBytes: response.bodyCount)
        if request.method != .head, let source = response.bodySource, source.count > 0 {
            phase = .streaming(BodyStream(source: source, offset: 0, fetching: false, keepAlive: keepAlive))
        } else {
            if request.method != .head, !response.body.isEmpty { enqueue(response.body) }
            phase = keepAlive ? .idle(since: monotonicMilliseconds()) : .closing
        }
        flush()
    }

    /// Moves on after output drained or an answer arrived: the next part of a streamed body, or the next pipelined
    /// request once the output is below the high-water mark.
    private func resume() {
        guard !isClosed else { return }
        switch phase {
        case .streaming(var stream) where !stream.fetching && outboundBytes <= Self.highWaterBytes:
            stream.fetching = true
            phase = .streaming(stream)
            pendingTask = server.fetch(
                from: stream.source, offset: stream.offset,
                count: min(Self.streamPartBytes, stream.source.count - stream.offset), for: id)
        case .idle, .readingHead:
            processInput()
        default:
            break
        }
        updateWatchedEvents()
    }

    /// All connections' output fell below the server's budget again (loop thread). A head that was waiting gets
    /// its full header time again: the wait was the server's, not the client's.
    func outputBudgetFreed() {
        if case .readingHead = phase {
            phase = .readingHead(deadline: monotonicMilliseconds() + server.configuration.headerTimeout * 1000)
        }
        resume()
    }

    /// A part of the streamed body arrived, or its source failed (nil): the head promised the whole length, so a
    /// failure can only end the connection.
    func receivePart(_ part: [UInt8]?) {
        guard case .streaming(var stream) = phase, !isClosed else { return }
        pendingTask = nil
        let expected = min(Self.streamPartBytes, stream.source.count - stream.offset)
        guard let part, part.count == expected else {
            close()
            return
        }
        enqueue(part)
        stream.offset += part.count
        stream.fetching = false
        if stream.offset == stream.source.count {
            phase = stream.keepAlive && !inputClosed ? .idle(since: monotonicMilliseconds()) : .closing
        } else {
            phase = .streaming(stream)
        }
        flush()
        resume()
    }

    private func releaseHeldBodyBytes() {
        guard heldBodyBytes > 0 else { return }
        server.releaseBodyBudget(heldBodyBytes)
        heldBodyBytes = 0
    }

    // MARK: Output

    private func enqueue(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if outbound.isEmpty {
            writeRate = TransferRate(
                bytesPerSecond: server.configuration.minimumTransferRate,
                windowSeconds: server.configuration.transferWindow, now: monotonicMilliseconds())
        }
        outbound.append(bytes)
        outboundBytes += bytes.count
        server.outputQueued(bytes.count)
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
                writeRate?.record(written)
                outboundOffset += written
                outboundBytes -= written
                server.outputReleased(written)
                if outboundOffset == outbound[0].count {
                    outbound.removeFirst()
                    outboundOffset = 0
                }
            }
        }
        guard !isClosed else { return }
        writeRate = nil
        if case .closing = phase {
            if inputClosed {
                close()
            } else {
                socket.shutdownWrite()
                phase = .lingering(until: monotonicMilliseconds() + Self.lingerMilliseconds)
            }
        }
        updateWatchedEvents()
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

    /// Closes the connection if it has overstayed the phase it is in (called about once a second, with the
    /// monotonic clock in milliseconds: whole seconds would make a 1 s deadline anything from 0 to 1 s).
    func checkTimeouts(now: Int64) {
        let configuration = server.configuration
        if writeRate?.isTooSlow(now: now) == true {
            close()
            return
        }
        switch phase {
        case .idle(let since) where outbound.isEmpty && now - since >= configuration.idleTimeout * 1000:
            close()
        case .readingHead(let deadline) where now >= deadline:
            failRequest(.init(status: .requestTimeout, code: "request_timeout", message: "the request head took too long"))
        case .awaitingBodyBudget(let since, _) where now - since >= configuration.transferWindow * 1000:
            server.cancelBodyBudgetWait(for: id)
            failRequest(
                .init(
                    status: .serviceUnavailable, code: "server_busy",
                    message: "too many request bodies are being received; try again shortly"))
        case .readingBody where readRate?.isTooSlow(now: now) == true:
            failRequest(.init(status: .requestTimeout, code: "request_timeout", message: "the request body is too slow"))
        case .lingering(let until) where now >= until:
            close()
        default:
            break
        }
    }

    /// Releases the socket, the body budget it held and the work it was waiting for. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        pendingTask?.cancel()
        pendingTask = nil
        if case .awaitingBodyBudget = phase { server.cancelBodyBudgetWait(for: id) }
        releaseHeldBodyBytes()
        let dropped = outboundBytes
        outbound = []
        outboundBytes = 0
        server.outputReleased(dropped)
        server.loop.deregister(socket.descriptor)
        socket.close()
        server.connectionClosed(id)
    }
}

@available(*, unavailable)
extension HTTPConnection: Sendable {}
