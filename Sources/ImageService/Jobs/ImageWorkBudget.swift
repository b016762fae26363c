import Dispatch
import Synchronization

/// How much image work may run at once in this process: `slots` kernel calls, shared by the job workers and the
/// preview renderer, so that previews never add CPU beyond the configured worker count.
///
/// A counting semaphore with one FIFO line of waiters. Worker threads take a slot with the blocking
/// ``withSlot(_:)`` (they own their threads); previews take one with the async ``acquire()`` and hold it on a
/// thread of their own, never on Swift's cooperative pool. A released slot is handed straight to the longest
/// waiter, whichever kind it is: no waiter can be overtaken by a newcomer, and no wake-up is lost between a release
/// and a wait.
///
/// This is the one place where a memory budget is meant to plug in (the resources issue): a slot then becomes a
/// weight, each job's estimated bytes, and a waiter is served when its weight fits in what is free. Every kernel
/// call already passes through here.
public final class ImageWorkBudget: Sendable {
    /// One waiter in line: a suspended task, or a blocked thread with its own semaphore.
    private enum Waiter {
        case task(CheckedContinuation<Void, Never>)
        case thread(DispatchSemaphore)

        func resume() {
            switch self {
            case .task(let continuation): continuation.resume()
            case .thread(let semaphore): semaphore.signal()
            }
        }
    }

    private struct State {
        var free: Int
        var line: [Waiter] = []
        /// Where the line starts in `line`: taking from the front is O(1), the array is compacted now and then.
        var head = 0
        var inUse = 0
        var peakInUse = 0
        var acquisitions = 0

        var waiting: Int { line.count - head }

        /// Takes a slot if one is free and nobody waits before us.
        mutating func takeIfFree() -> Bool {
            guard free > 0, waiting == 0 else { return false }
            free -= 1
            noteTaken()
            return true
        }

        mutating func noteTaken() {
            inUse += 1
            acquisitions += 1
            peakInUse = max(peakInUse, inUse)
        }

        /// Gives a slot back: to the first waiter (returned, to be resumed outside the lock), or to the pool.
        mutating func release() -> Waiter? {
            inUse -= 1
            guard waiting > 0 else {
                free += 1
                return nil
            }
            let next = line[head]
            head += 1
            if head >= 64, head * 2 >= line.count {
                line.removeFirst(head)
                head = 0
            }
            noteTaken()
            return next
        }
    }

    /// The number of slots.
    public let slots: Int
    private let state: Mutex<State>

    public init(slots: Int) {
        precondition(slots > 0, "an image work budget needs at least one slot")
        self.slots = slots
        self.state = Mutex(State(free: slots))
    }

    /// Waits for a slot (in line, first come first served). Pair it with exactly one ``release()``. A task waiting
    /// here is not woken by cancellation: a slot is due soon, as every holder runs one bounded kernel call.
    public func acquire() async {
        if state.withLock({ $0.takeIfFree() }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                // A slot may have come free between the two locks; the line is then empty or ahead of us.
                if state.takeIfFree() { return true }
                state.line.append(.task(continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Blocks the calling thread until a slot is free. For threads that are not Swift's cooperative pool (workers).
    public func acquireBlocking() {
        let semaphore = DispatchSemaphore(value: 0)
        let taken = state.withLock { state -> Bool in
            if state.takeIfFree() { return true }
            state.line.append(.thread(semaphore))
            return false
        }
        if !taken { semaphore.wait() }
    }

    /// Gives the slot back, to the first in line if anyone waits.
    public func release() {
        state.withLock { $0.release() }?.resume()
    }

    /// Runs `body` holding a slot, taken with ``acquireBlocking()``.
    public func withSlot<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        acquireBlocking()
        defer { release() }
        return try body()
    }

    /// Slots held right now.
    public var inUse: Int { state.withLock { $0.inUse } }
    /// The most slots ever held at once: never above ``slots``.
    public var peakInUse: Int { state.withLock { $0.peakInUse } }
    /// How many times a slot was taken.
    public var acquisitions: Int { state.withLock { $0.acquisitions } }
    /// Callers waiting for a slot.
    public var waiting: Int { state.withLock { $0.waiting } }
}
