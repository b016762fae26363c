import CSystemShims
import Glibc
import HTTPProtocol

/// From answers to bytes on the socket: the responder's response, a streamed body part by part, and the output queue
/// with its flushing.
extension HTTPConnection {
    /// The responder's answer arrived (loop thread): send it and move on.
    func deliver(_ response: HTTPResponse) {
        beginEvent()
        send(response)
        resume()
    }

    /// Sends the answer to the request in flight.
    func send(_ response: HTTPResponse) {
        guard case .awaitingResponse(let request) = phase, !isClosed else { return }
        pendingTask = nil
        releaseHeldBodyBytes()
        var response = response
        response.headers.replaceOrAdd(name: "X-Request-Id", value: request.requestID)
        let keepAlive = request.keepAlive && !server.isDraining && !inputClosed
        enqueue(response.serializedHead(keepAlive: keepAlive, date: server.currentDate()))
        server.logCompleted(
            request, status: response.status, bodyBytes: response.bodyCount,
            durationMilliseconds: eventTime - request.started)
        if request.method != .head, let source = response.bodySource, source.count > 0 {
            enter(.streaming(BodyStream(source: source, offset: 0, fetching: false, keepAlive: keepAlive)))
        } else {
            if request.method != .head, !response.body.isEmpty { enqueue(response.body) }
            enter(keepAlive ? .idle : .closing)
        }
        flush()
    }

    /// Moves on after output drained or an answer arrived: the next part of a streamed body, or the next pipelined
    /// request once the output is below the high-water mark.
    func resume() {
        guard !isClosed else { return }
        switch phase {
        case .streaming(var stream) where !stream.fetching && outboundBytes <= Self.highWaterBytes:
            stream.fetching = true
            continueStreaming(stream)
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
        beginEvent()
        if case .readingHead = phase { enter(.readingHead) }
        resume()
    }

    /// A part of the streamed body arrived, or its source failed (nil): the head promised the whole length, so a
    /// failure can only end the connection.
    func receivePart(_ part: [UInt8]?) {
        guard case .streaming(var stream) = phase, !isClosed else { return }
        beginEvent()
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
            enter(stream.keepAlive && !inputClosed ? .idle : .closing)
        } else {
            continueStreaming(stream)
        }
        flush()
        resume()
    }

    // MARK: Output

    func enqueue(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        timeouts.outputQueued(now: eventTime)
        outbound.append(bytes)
        outboundBytes += bytes.count
        server.outputQueued(bytes.count)
    }

    func flush() {
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
                timeouts.outputWritten(written)
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
        timeouts.outputDrained()
        if case .closing = phase {
            if inputClosed {
                close()
            } else {
                socket.shutdownWrite()
                enter(.lingering)
            }
        }
        updateWatchedEvents()
    }
}
