import CSystemShims
import Foundation
import Glibc
import HTTPProtocol
import Logging

/// The HTTP/1.1 server: one event-loop thread owns the listening socket and every connection; complete requests go
/// to the `HTTPResponder` on Swift's concurrency pool, and their responses come back to the loop to be written.
///
/// State other than the configuration, the loop and the responder belongs to the loop thread; other threads reach
/// it only through `loop.execute`.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    let loop: EventLoop
    let responder: any HTTPResponder
    private let logger: Logger
    private var loopThread: Thread?
    private let loopFinished = DispatchSemaphore(value: 0)

    // Loop thread only.
    private var listener: Socket?
    private var connections: [Int: HTTPConnection] = [:]
    private var nextConnectionID = 0
    private var dateCache = HTTPDate.Cache()
    private var bodyBudget: BodyBudget
    /// Response bytes queued on every connection together, and the connections waiting for that to fall below
    /// `configuration.outputBudgetBytes` before they start another request.
    private var queuedOutputBytes = 0
    private var waitingForOutputBudget: [Int] = []
    private var drainCompletion: (@Sendable () -> Void)?
    /// Shared by every read on the loop: one connection reads at a time.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    private(set) var isDraining = false

    public init(configuration: HTTPServerConfiguration, responder: some HTTPResponder, logger: Logger) throws {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.loop = try EventLoop()
        // A budget below the body limit could never admit the largest body allowed.
        self.bodyBudget = BodyBudget(capacity: max(configuration.bodyBudgetBytes, configuration.limits.maxBodyBytes))
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Binds, starts the loop thread and returns the port it listens on.
    @discardableResult
    public func start() throws -> Int {
        // A write to a closed socket must be an EPIPE error, never a process-killing signal.
        signal(SIGPIPE, SIG_IGN)
        let listener = try Socket.listening(host: configuration.host, port: configuration.port)
        let port = try listener.localPort()
        do {
            try loop.register(listener.descriptor, events: EPOLLIN.rawValue) { [unowned self] _ in acceptConnections() }
        } catch {
            listener.close()
            throw error
        }
        self.listener = listener
        let thread = Thread { [self] in
            // Foundation keeps `Thread.name` to itself on Linux; the kernel's name is what `top -H` and /proc show.
            imageproc_set_thread_name("imageproc-http")
            loop.run { tick() }
            loopFinished.signal()
        }
        thread.name = "imageproc-http"
        thread.start()
        loopThread = thread
        logger.info("listening", metadata: ["http.host": "\(configuration.host)", "http.port": "\(port)"])
        return port
    }

    /// Stops accepting, lets requests in flight finish (waiting up to `timeout`), closes every connection and ends
    /// the loop thread.
    public func shutdown(timeout: Duration = .seconds(10)) {
        guard loopThread != nil else { return }
        let drained = DispatchSemaphore(value: 0)
        loop.execute { [self] in beginDraining { drained.signal() } }
        _ = drained.wait(timeout: .now() + .milliseconds(Int(timeout / .milliseconds(1))))
        loop.execute { [self] in
            for connection in Array(connections.values) { connection.close() }
        }
        loop.stop()
        loopFinished.wait()
        loopThread = nil
    }

    // MARK: Loop thread

    private func acceptConnections() {
        guard let listener else { return }
        while true {
            let socket: Socket?
            do {
                socket = try listener.accept()
            } catch {
                // EMFILE and friends: log and try again on the next readiness rather than spin.
                logger.warning("accept failed", metadata: ["error": "\(error)"])
                return
            }
            guard let socket else { return }
            if connections.count >= configuration.maxConnections, !closeAnIdleConnection() {
                refuse(socket)
                continue
            }
            nextConnectionID += 1
            let connection = HTTPConnection(
                id: nextConnectionID, socket: socket, server: self, limits: configuration.limits,
                now: monotonicMilliseconds())
            do {
                try connection.start()
                connections[connection.id] = connection
            } catch {
                connection.close()
            }
        }
    }

    /// At the connection limit, a keep-alive connection with nothing in progress gives its place to a new client
    /// (as nginx reuses idle keep-alive connections): held-open idle sockets cannot lock everyone out. False when
    /// every connection is busy.
    private func closeAnIdleConnection() -> Bool {
        guard let idle = connections.values.first(where: \.isIdle) else { return false }
        idle.close()
        return true
    }

    /// Answers 503 to a connection over the limit, as far as the socket takes it without blocking, and closes.
    private func refuse(_ socket: Socket) {
        let response = HTTPResponse.error(
            status: .serviceUnavailable, code: "too_many_connections",
            message: "the server has too many open connections",
            headers: ["Retry-After": "1", "X-Request-Id": RequestID.accept(nil)])
        let bytes = response.serialized(keepAlive: false, date: currentDate())
        _ = bytes.withUnsafeBytes { try? socket.write($0) }
        socket.close()
    }

    /// Runs the responder for a request and hands its answer back to the connection on the loop.
    func dispatch(_ request: HTTPRequest, id requestID: String, from connectionID: Int) -> Task<Void, Never> {
        Task { [self] in
            let response = await RequestID.$current.withValue(requestID) { await responder.respond(to: request) }
            loop.execute { [self] in connections[connectionID]?.deliver(response) }
        }
    }

    /// Reads one part of a streamed body and hands it back to the connection on the loop (nil if the read failed).
    func fetch(
        from source: any HTTPBodySource, offset: Int, count: Int, for connectionID: Int
    ) -> Task<Void, Never> {
        Task { [self] in
            let part: [UInt8]?
            do {
                part = try await source.read(offset: offset, maxCount: count)
            } catch {
                if !(error is CancellationError) {
                    logger.warning("response body source failed", metadata: ["error": "\(error)"])
                }
                part = nil
            }
            loop.execute { [self] in connections[connectionID]?.receivePart(part) }
        }
    }

    // MARK: Output budget (loop thread)

    /// Whether the output waiting on all connections has reached its budget: no connection starts a request now.
    var isOutputBudgetSpent: Bool { queuedOutputBytes >= configuration.outputBudgetBytes }

    func outputQueued(_ bytes: Int) {
        queuedOutputBytes += bytes
    }

    /// Output written or dropped; wakes the connections that waited for the budget once it is below it again.
    func outputReleased(_ bytes: Int) {
        queuedOutputBytes -= bytes
        guard !isOutputBudgetSpent, !waitingForOutputBudget.isEmpty else { return }
        let waiting = waitingForOutputBudget
        waitingForOutputBudget = []
        for connectionID in waiting { connections[connectionID]?.outputBudgetFreed() }
    }

    func waitForOutputBudget(_ connectionID: Int) {
        if !waitingForOutputBudget.contains(connectionID) { waitingForOutputBudget.append(connectionID) }
    }

    // MARK: Body budget (loop thread)

    /// Takes `bytes` of the body budget for a connection now, or queues it and says no (it is told later).
    func acquireBodyBudget(_ bytes: Int, for connectionID: Int) -> Bool {
        bodyBudget.acquire(bytes, for: connectionID)
    }

    func releaseBodyBudget(_ bytes: Int) {
        wake(bodyBudget.release(bytes))
    }

    func cancelBodyBudgetWait(for connectionID: Int) {
        wake(bodyBudget.cancel(connectionID))
    }

    /// Tells connections that now hold their budget. Each is another connection than the one releasing, and the
    /// chain ends with the waiters.
    private func wake(_ granted: [BodyBudget.Grant]) {
        for grant in granted {
            if let connection = connections[grant.connection] {
                connection.bodyBudgetGranted()
            } else {
                // Closed connections leave the line as they close; should one not have, its grant goes back.
                releaseBodyBudget(grant.bytes)
            }
        }
    }

    func connectionClosed(_ id: Int) {
        connections[id] = nil
        if isDraining, connections.isEmpty, let completion = drainCompletion {
            drainCompletion = nil
            completion()
        }
    }

    private func beginDraining(completion: @escaping @Sendable () -> Void) {
        isDraining = true
        if let listener {
            loop.deregister(listener.descriptor)
            listener.close()
            self.listener = nil
        }
        drainCompletion = completion
        for connection in Array(connections.values) where connection.isIdle { connection.close() }
        if connections.isEmpty {
            drainCompletion = nil
            completion()
        }
    }

    private func tick() {
        let now = monotonicMilliseconds()
        for connection in Array(connections.values) { connection.checkTimeouts(now: now) }
    }

    func currentDate() -> String {
        dateCache.string(secondsSince1970: Int(time(nil)))
    }

    func logCompleted(
        _ request: HTTPConnection.RequestInFlight, status: HTTPStatus, bodyBytes: Int, durationMilliseconds: Int64
    ) {
        logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.path": "\(request.path)",
                "http.status": "\(status.code)",
                "http.bytes": "\(bodyBytes)",
                "http.duration_ms": "\(durationMilliseconds)",
                "http.request_id": "\(request.requestID)",
            ])
    }

    func logRefused(_ head: HTTPRequestHead, status: HTTPStatus) {
        logger.info(
            "request refused",
            metadata: [
                "http.method": "\(head.method.rawValue)", "http.path": "\(head.path)", "http.status": "\(status.code)",
            ])
    }

    func logRejected(_ error: HTTPParseError) {
        logger.info("request rejected", metadata: ["http.status": "\(error.status.code)", "error": "\(error.code)"])
    }
}
