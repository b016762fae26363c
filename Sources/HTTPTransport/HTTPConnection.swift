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
/// - bodies and responses must keep a minimum rate over every window, headers arrive by a deadline, idle
///   connections close (``ConnectionTimeouts``, told of every phase the connection enters).
///
/// Reading requests is in `HTTPConnection+Requests.swift`, answering them in `HTTPConnection+Responses.swift`; the
/// state they share is internal so that they can reach it, but `phase` changes only through ``enter(_:)``, so that
/// the timeouts hear of every phase.
final class HTTPConnection {
    /// Where the connection stands between two requests, or in one.
    enum Phase {
        /// Between requests.
        case idle
        /// Part of a header section has arrived (or, on a new connection, is awaited); it is due by the header
        /// deadline.
        case readingHead
        /// Admitted; waiting for the body budget to cover the body's bound.
        case awaitingBodyBudget(expectsContinue: Bool)
        /// The head is in and admitted; the body must keep its rate.
        case readingBody
        /// The request is with the responder.
        case awaitingResponse(RequestInFlight)
        /// The response's body is being read from its source part by part.
        case streaming(BodyStream)
        /// The connection will close once the output is written.
        case closing
        /// The answer is out and the write side shut; what the client still sends is read and dropped for a
        /// while, so that a reset cannot destroy the answer before the client has read it.
        case lingering
    }

    /// What the access log and the response need to know of the request being answered.
    struct RequestInFlight {
        var method: HTTPMethod
        var path: String
        var keepAlive: Bool
        /// When it went to the responder, in milliseconds of the monotonic clock.
        var started: Int64
        var requestID: String
    }

    /// A body being streamed: where it stands, and what follows it.
    struct BodyStream {
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

    let id: Int
    let socket: Socket
    unowned let server: HTTPServer
    var parser: HTTPRequestParser
    private(set) var phase: Phase
    var timeouts: ConnectionTimeouts
    /// The monotonic time, in milliseconds, of the event being handled: read once as each event begins, so that
    /// every deadline the event sets counts from the same instant.
    private(set) var eventTime: Int64
    var outbound: [[UInt8]] = []
    var outboundOffset = 0
    var outboundBytes = 0
    /// Body-budget bytes this connection holds for the request being read or answered.
    var heldBodyBytes = 0
    /// The answer to a bodyless request refused at its head, sent in place of the responder's.
    var refusal: HTTPResponse?
    /// The responder's or the body source's work for this connection, cancelled if the connection closes first.
    var pendingTask: Task<Void, Never>?
    private var watchedEvents: UInt32 = 0
    private(set) var inputClosed = false
    private(set) var isClosed = false

    init(id: Int, socket: Socket, server: HTTPServer, limits: HTTPLimits, now: Int64) {
        self.id = id
        self.socket = socket
        self.server = server
        self.parser = HTTPRequestParser(limits: limits)
        self.phase = .readingHead
        self.timeouts = ConnectionTimeouts(configuration: server.configuration, now: now)
        self.eventTime = now
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

    /// Reads the clock for an event that begins now (readiness, an answer, a budget freed).
    func beginEvent() {
        eventTime = monotonicMilliseconds()
    }

    /// Moves to `next` and starts the deadline that phase has, from the event's time. (A streamed body that moves on
    /// stays in its phase: it assigns `phase` through ``continueStreaming(_:)``.)
    func enter(_ next: Phase) {
        phase = next
        switch next {
        case .idle: timeouts.awaitNextRequest(now: eventTime)
        case .readingHead: timeouts.awaitHead(now: eventTime)
        case .awaitingBodyBudget: timeouts.awaitBodyBudget(now: eventTime)
        case .readingBody: timeouts.readBody(now: eventTime)
        case .lingering: timeouts.linger(now: eventTime)
        case .awaitingResponse, .streaming, .closing: timeouts.removePhaseDeadline()
        }
    }

    /// Records where a streamed body stands, in the phase it is already in.
    func continueStreaming(_ stream: BodyStream) {
        phase = .streaming(stream)
    }

    // MARK: Events

    private func handle(events: UInt32) {
        beginEvent()
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
                timeouts.bodyRead(count)
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
            if outbound.isEmpty { close() } else { enter(.closing) }
        }
    }

    /// Whether the socket is read: between requests while the output is low, while a body is read, and while
    /// lingering.
    var isReading: Bool {
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
    var isParsing: Bool {
        switch phase {
        case .idle, .readingHead: mayStartRequest
        case .readingBody: true
        default: false
        }
    }

    // MARK: Timeouts and closing

    /// Acts on the limit the connection has overstayed, if any (called about once a second, with the monotonic
    /// clock in milliseconds: whole seconds would make a 1 s deadline anything from 0 to 1 s).
    func checkTimeouts(now: Int64) {
        eventTime = now
        switch timeouts.due(now: now) {
        case nil:
            break
        case .slowWrite, .idle, .lingerEnded:
            close()
        case .header:
            failRequest(
                .init(status: .requestTimeout, code: "request_timeout", message: "the request head took too long"))
        case .bodyBudget:
            server.cancelBodyBudgetWait(for: id)
            failRequest(
                .init(
                    status: .serviceUnavailable, code: "server_busy",
                    message: "too many request bodies are being received; try again shortly"))
        case .slowBody:
            failRequest(
                .init(status: .requestTimeout, code: "request_timeout", message: "the request body is too slow"))
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

    func updateWatchedEvents() {
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
}

@available(*, unavailable)
extension HTTPConnection: Sendable {}
