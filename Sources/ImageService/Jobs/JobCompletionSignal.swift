import Dispatch
import Foundation
import Synchronization

/// Lets request handlers wait for a job to reach a terminal status (`GET /api/images/{id}?wait=S`) without polling
/// the database: workers call `jobFinished(_:)`, waiters are resumed at once or when their time runs out.
///
/// To close the gap between "read the status" and "start waiting", a waiter registers first, reads the status, and
/// only then awaits its `JobCompletionWaiter`. Registration is scoped: ``withWaiter(for:_:)`` registers, runs its
/// body and unregisters on every way out of it (a return, a thrown error, a cancelled task), so a waiter whose job
/// was deleted, or whose look-up failed, does not stay behind.
public final class JobCompletionSignal: Sendable {
    private struct Waiter {
        var continuation: CheckedContinuation<Void, Never>?
        /// The job finished or the waiting task was cancelled: `wait` returns at once.
        var finished: Bool
    }

    private struct State {
        var nextToken = 0
        var waiters: [UUID: [Int: Waiter]] = [:]
    }

    private let state = Mutex(State())
    private let afterRegistering: @Sendable (UUID) -> Void

    /// `afterRegistering` runs in the registering task just after each registration, before the body of
    /// ``withWaiter(for:_:)``: tests use it to act in the window between registering and reading the status again.
    public init(afterRegistering: @escaping @Sendable (UUID) -> Void = { _ in }) {
        self.afterRegistering = afterRegistering
    }

    /// Registers for the end of job `id`, runs `body` with the registration, and unregisters when `body` is done,
    /// however it ends. Inside `body`, read the status and, if the job is not finished, await the waiter.
    public func withWaiter<T>(
        for id: UUID, isolation: isolated (any Actor)? = #isolation,
        _ body: (JobCompletionWaiter) async throws -> T
    ) async rethrows -> T {
        let waiter = register(id)
        defer { unregister(id: id, token: waiter.token) }
        afterRegistering(id)
        return try await body(waiter)
    }

    /// How many waiters are registered now, for all jobs: what tests and gauges look at.
    public var registrations: Int {
        state.withLock { state in state.waiters.values.reduce(0) { $0 + $1.count } }
    }

    private func register(_ id: UUID) -> JobCompletionWaiter {
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
        await withTaskCancellationHandler {
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
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.milliseconds))) {
                    [weak self] in self?.wake(id: id, token: token)
                }
            }
        } onCancel: {
            wake(id: id, token: token)
        }
    }

    /// Ends one waiter's wait (its time ran out or its task was cancelled); a later `wait` returns at once.
    private func wake(id: UUID, token: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var waiter = state.waiters[id]?[token] else { return nil }
            let continuation = waiter.continuation
            waiter.continuation = nil
            waiter.finished = true
            state.waiters[id]?[token] = waiter
            return continuation
        }
        continuation?.resume()
    }

    fileprivate func unregister(id: UUID, token: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            let continuation = state.waiters[id]?[token]?.continuation
            state.waiters[id]?[token] = nil
            if state.waiters[id]?.isEmpty == true { state.waiters[id] = nil }
            return continuation
        }
        // Only reachable if a body let a wait escape its scope; resuming keeps that task from hanging.
        continuation?.resume()
    }
}

/// One registration with a `JobCompletionSignal`, valid inside ``JobCompletionSignal/withWaiter(for:_:)``.
public struct JobCompletionWaiter: Sendable {
    fileprivate let signal: JobCompletionSignal
    fileprivate let id: UUID
    fileprivate let token: Int

    /// Returns when the job finishes, `timeout` passes or the task is cancelled, whichever comes first. Returns at
    /// once if the job finished since the registration.
    public func wait(timeout: Duration) async {
        await signal.wait(id: id, token: token, timeout: timeout)
    }
}
