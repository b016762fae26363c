import CSystemShims
import Foundation
import Glibc
import Logging

/// The HTTP/1.1 server: one event-loop thread owns the listening socket and every connection; complete requests go
/// to the `HTTPResponder` on Swift's concurrency pool, and their responses come back to the loop to be written.
///
/// State other than the configuration, the loop and the responder belongs to the loop thread; other threads reach
/// it only through `loop.execute`.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    let loop: EventLoop
    private let responder: any HTTPResponder
    private let logger: Logger
    private var loopThread: Thread?
    private let loopFinished = DispatchSemaphore(value: 0)

    // Loop thread only.
    private var listener: Socket?
    private var connections: [Int: HTTPConnection] = [:]
    private var nextConnectionID = 0
    private var dateCache = HTTPDate.Cache()
    private var drainCompletion: (@Sendable () -> Void)?
    /// Shared by every read on the loop: one connection reads at a time.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    private(set) var isDraining = false

    public init(configuration: HTTPServerConfiguration, responder: some HTTPResponder, logger: Logger) throws {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.loop = try EventLoop()
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
        _ = drained.wait(timeout: .now() + .milliseconds(Int(timeout.milliseconds)))
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
            if connections.count >= configuration.maxConnections {
                refuse(socket)
                continue
            }
            nextConnectionID += 1
            let connection = HTTPConnection(
                id: nextConnectionID, socket: socket, server: self, limits: configuration.limits,
                now: monotonicSeconds())
            do {
                try connection.start()
                connections[connection.id] = connection
            } catch {
                connection.close()
            }
        }
    }

    /// Answers 503 to a connection over the limit, as far as the socket takes it without blocking, and closes.
    private func refuse(_ socket: Socket) {
        let response = HTTPResponse.error(
            status: .serviceUnavailable, code: "too_many_connections", message: "the server has too many open connections",
            headers: ["Retry-After": "1", "X-Request-Id": RequestID.accept(nil)])
        let bytes = response.serialized(keepAlive: false, date: currentDate())
        _ = bytes.withUnsafeBytes { try? socket.write($0) }
        socket.close()
    }

    func dispatch(_ request: HTTPRequest, id requestID: String, from connectionID: Int) {
        Task { [self] in
            let response = await RequestID.$current.withValue(requestID) { await responder.respond(to: request) }
            loop.execute { [self] in connections[connectionID]?.send(response) }
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
        let now = monotonicSeconds()
        for connection in Array(connections.values) { connection.checkTimeouts(now: now) }
    }

    func currentDate() -> String {
        dateCache.string(secondsSince1970: Int(time(nil)))
    }

    func logCompleted(_ request: HTTPConnection.RequestInFlight, status: HTTPStatus, bodyBytes: Int) {
        logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.path": "\(request.path)",
                "http.status": "\(status.code)",
                "http.bytes": "\(bodyBytes)",
                "http.duration_ms": "\((ContinuousClock.now - request.started).milliseconds)",
                "http.request_id": "\(request.requestID)",
            ])
    }

    func logRejected(_ error: HTTPParseError) {
        logger.info("request rejected", metadata: ["http.status": "\(error.status.code)", "error": "\(error.code)"])
    }
}
