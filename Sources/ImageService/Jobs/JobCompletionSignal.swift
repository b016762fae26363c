import Dispatch
import Foundation
import Synchronization

/// Lets request handlers wait for a job to reach a terminal status (`GET /api/images/{id}?wait=S`) without polling
/// the database: workers call `jobFinished(_:)`, waiters are resumed at once or when their time runs out.
///
/// To close the gap between "read the status" and "start waiting", a waiter registers first (`register`), reads
/// the status, and only then awaits its `JobCompletionWaiter`.
public final class JobCompletionSignal: Sendable {
    private struct Waiter {
        var continuation: CheckedContinuation<Void, Never>?
        var finished: Bool
    }

    private struct State {
        var nextToken = 0
        var waiters: [UUID: [Int: Waiter]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Starts listening for the end of job `id`. Await the result's `wait(timeout:)`.
    public func register(_ id: UUID) -> JobCompletionWaiter {
        let token = state.withLock { state in
            state.nextToken += 1
            state.waiters[id, default: [:]][state.nextToken] = Waiter(continuation: nil, finished: false)
            return state.nextToken
        }
        return JobCompletionWaiter(signal: self, id: id, token: token)
    }

    /// Wakes everyone waiting for job `id`.
    public func jobFinished(_ id: UUID) {
        let continuations = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard var waiters = state.waiters[id] else { return [] }
            var ready: [CheckedContinuation<Void, Never>] = []
            for (token, var waiter) in waiters {
                waiter.finished = true
                if let continuation = waiter.continuation { ready.append(continuation) }
                waiter.continuation = nil
                waiters[token] = waiter
            }
            state.waiters[id] = waiters
            return ready
        }
        continuations.forEach { $0.resume() }
    }

    fileprivate func wait(id: UUID, token: Int, timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                guard let waiter = state.waiters[id]?[token], !waiter.finished else { return true }
                state.waiters[id]?[token]?.continuation = continuation
                return false
            }
            if resumeNow {
                continuation.resume()
                return
            }
            let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
                let expired = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    let continuation = state.waiters[id]?[token]?.continuation
                    state.waiters[id]?[token]?.continuation = nil
                    return continuation
                }
                expired?.resume()
            }
        }
        unregister(id: id, token: token)
    }

    fileprivate func unregister(id: UUID, token: Int) {
        state.withLock { state in
            state.waiters[id]?[token] = nil
            if state.waiters[id]?.isEmpty == true { state.waiters[id] = nil }
        }
    }
}

/// One registration with a `JobCompletionSignal`: await it once, or drop it.
public struct JobCompletionWaiter: Sendable {
    fileprivate let signal: JobCompletionSignal
    fileprivate let id: UUID
    fileprivate let token: Int

    /// Returns when the job finishes or `timeout` passes, whichever comes first.
    public func wait(timeout: Duration) async {
        await signal.wait(id: id, token: token, timeout: timeout)
    }

    /// Gives up the registration without waiting.
    public func cancel() {
        signal.unregister(id: id, token: token)
    }
}
