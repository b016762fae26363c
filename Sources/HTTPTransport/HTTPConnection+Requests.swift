import HTTPProtocol

/// From bytes to requests: parsing, admission from the head, the body budget, and the answers to requests refused or
/// rejected before they reach the responder.
extension HTTPConnection {
    /// Pulls events from the parser until it needs more bytes or a request goes to the responder.
    func processInput() {
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
                if case .idle = phase, !parser.isIdle { enter(.readingHead) }
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
                enter(.readingBody)
            } else {
                refuse(head, with: response)
            }
            return
        }
        if bound == 0 || server.acquireBodyBudget(bound, for: id) {
            beginBody(bound: bound, expectsContinue: head.expectsContinue)
        } else {
            enter(.awaitingBodyBudget(expectsContinue: head.expectsContinue))
            updateWatchedEvents()
        }
    }

    /// The server's body budget now covers the waiting request (loop thread).
    func bodyBudgetGranted() {
        guard case .awaitingBodyBudget(let expectsContinue) = phase, !isClosed,
            let bound = parser.admissionBodyBound
        else { return }
        beginEvent()
        beginBody(bound: bound, expectsContinue: expectsContinue)
        processInput()
        updateWatchedEvents()
    }

    private func beginBody(bound: Int, expectsContinue: Bool) {
        heldBodyBytes = bound
        parser.acceptBody()
        enter(.readingBody)
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
        enter(.closing)
        flush()
    }

    private func startResponding(to request: HTTPRequest) {
        if heldBodyBytes > request.body.count {
            // A chunked body took the body limit; keep only what it turned out to need.
            server.releaseBodyBudget(heldBodyBytes - request.body.count)
            heldBodyBytes = request.body.count
        }
        let inFlight = RequestInFlight(
            method: request.head.method, path: request.head.path, keepAlive: request.head.keepAlive,
            started: eventTime, requestID: RequestID.accept(request.head.headers["X-Request-Id"]))
        enter(.awaitingResponse(inFlight))
        if let refusal {
            self.refusal = nil
            send(refusal)
            return
        }
        updateWatchedEvents()
        pendingTask = server.dispatch(request, id: inFlight.requestID, from: id)
    }

    /// Answers a request the parser rejected, or one that overstayed a limit, then closes: the stream can no longer
    /// be framed.
    func failRequest(_ error: HTTPParseError) {
        let response = HTTPResponse.error(
            status: error.status, code: error.code, message: error.message,
            headers: ["X-Request-Id": RequestID.accept(nil)])
        server.logRejected(error)
        enqueue(response.serialized(keepAlive: false, date: server.currentDate()))
        enter(.closing)
        flush()
    }

    func releaseHeldBodyBytes() {
        guard heldBodyBytes > 0 else { return }
        server.releaseBodyBudget(heldBodyBytes)
        heldBodyBytes = 0
    }
}
