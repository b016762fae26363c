import Dispatch
import Imaging
import Synchronization

/// How much image work may run at once in this process, shared by the job workers and the preview renderer: at most
/// `slots` kernel calls (the worker count, so previews never add CPU), whose estimated peak memory together stays
/// within `bytes` (the memory budget's share for image work, ``MemoryBudget/imageWorkBytes``).
///
/// A weighted semaphore with one FIFO line of waiters. Each taker names its weight — the kernel's estimate of the
/// call's peak (``ImageKernel/estimatedPeakBytes(_:options:)``) — and is served when a slot is free and its weight
/// fits in the free bytes. The line is strict: a large call at its head is never overtaken, so it cannot starve
/// while small ones keep coming, and the small ones behind it wait only until the running calls (each one bounded
/// kernel call) have made room for it. A release serves as many waiters from the head as now fit, and no wake-up is
/// lost between a release and a wait.
///
/// Worker threads wait with the blocking ``grant(bytes:)`` (they own their threads); previews with the async
/// ``acquire(bytes:)``, holding it on a thread of their own, never on Swift's cooperative pool.
public final class ImageWorkBudget: Sendable {
    /// One waiter in line: a suspended task, or a blocked thread with its own semaphore.
    private enum Resumable {
        case task(CheckedContinuation<Void, Never>)
        case thread(DispatchSemaphore)

        func resume() {
            switch self {
            case .task(let continuation): continuation.resume()
            case .thread(let semaphore): semaphore.signal()
            }
        }
    }

    private struct Waiter {
        var resumable: Resumable
        var bytes: Int
    }

    private struct State {
        var freeSlots: Int
        var freeBytes: Int
        var line: [Waiter] = []
        /// Where the line starts in `line`: taking from the front is O(1), the array is compacted now and then.
        var head = 0
        var inUse = 0
        var peakInUse = 0
        var bytesInUse = 0
        var peakBytesInUse = 0
        var acquisitions = 0

        var waiting: Int { line.count - head }

        func fits(_ bytes: Int) -> Bool { freeSlots > 0 && freeBytes >= bytes }

        /// Takes a slot and `bytes` if they are free and nobody waits before us.
        mutating func takeIfFree(_ bytes: Int) -> Bool {
            guard waiting == 0, fits(bytes) else { return false }
            take(bytes)
            return true
        }

        mutating func take(_ bytes: Int) {
            freeSlots -= 1
            freeBytes -= bytes
            inUse += 1
            bytesInUse += bytes
            acquisitions += 1
            peakInUse = max(peakInUse, inUse)
            peakBytesInUse = max(peakBytesInUse, bytesInUse)
        }

        /// Gives back a slot (when `slot`) and `bytes`, then serves the waiters at the head of the line that now
        /// fit; they are returned, to be resumed outside the lock.
        mutating func giveBack(slot: Bool, bytes: Int) -> [Resumable] {
            if slot {
                freeSlots += 1
                inUse -= 1
            }
            freeBytes += bytes
            bytesInUse -= bytes
            var served: [Resumable] = []
            while waiting > 0, fits(line[head].bytes) {
                take(line[head].bytes)
                served.append(line[head].resumable)
                head += 1
            }
            if head >= 64, head * 2 >= line.count {
                line.removeFirst(head)
                head = 0
            }
            return served
        }
    }

    /// The most kernel calls at once.
    public let slots: Int
    /// The most estimated bytes held at once. A taker asking for more is given all of it (it waits until everything
    /// else is done); the workers and the upload refuse such jobs before they ask (``fits(_:)``).
    public let bytes: Int
    private let state: Mutex<State>

    /// `bytes` defaults to no bound beyond the slots.
    public init(slots: Int, bytes: Int = .max) {
        precondition(slots > 0 && bytes > 0, "an image work budget needs room for one call")
        self.slots = slots
        self.bytes = bytes
        self.state = Mutex(State(freeSlots: slots, freeBytes: bytes))
    }

    /// Whether a call estimated at `bytes` can ever run here: no more than the whole budget.
    public func fits(_ bytes: Int) -> Bool { bytes <= self.bytes }

    private func weight(_ bytes: Int) -> Int { min(max(bytes, 0), self.bytes) }

    /// Waits (in line, first come first served) for a slot and `bytes`. Pair it with exactly one
    /// ``release(bytes:)`` of the same weight. A task waiting here is not woken by cancellation: room is due
    /// soon, as every holder runs one bounded kernel call.
    public func acquire(bytes: Int = 0) async {
        let weight = weight(bytes)
        if state.withLock({ $0.takeIfFree(weight) }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                // Room may have come free between the two locks; the line is then empty or ahead of us.
                if state.takeIfFree(weight) { return true }
                state.line.append(Waiter(resumable: .task(continuation), bytes: weight))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Blocks the calling thread until a slot and `bytes` are free. For threads that are not Swift's cooperative
    /// pool (workers). Pair it with exactly one ``release(bytes:)`` of the same weight.
    public func acquireBlocking(bytes: Int = 0) {
        let weight = weight(bytes)
        let semaphore = DispatchSemaphore(value: 0)
        let taken = state.withLock { state -> Bool in
            if state.takeIfFree(weight) { return true }
            state.line.append(Waiter(resumable: .thread(semaphore), bytes: weight))
            return false
        }
        if !taken { semaphore.wait() }
    }

    /// Gives back the slot and the `bytes` taken with it, to the first in line if they fit now.
    public func release(bytes: Int = 0) {
        giveBack(slot: true, bytes: weight(bytes))
    }

    fileprivate func giveBack(slot: Bool, bytes: Int) {
        for waiter in state.withLock({ $0.giveBack(slot: slot, bytes: bytes) }) { waiter.resume() }
    }

    /// Runs `body` holding a slot and `bytes`, taken with ``acquireBlocking(bytes:)``.
    public func withSlot<T, E: Error>(bytes: Int = 0, _ body: () throws(E) -> T) throws(E) -> T {
        acquireBlocking(bytes: bytes)
        defer { release(bytes: bytes) }
        return try body()
    }

    /// Blocks until a slot and `bytes` are free, and returns them as a grant that gives them back when it ends.
    public func grant(bytes: Int) -> ImageWorkGrant {
        let weight = weight(bytes)
        acquireBlocking(bytes: weight)
        return ImageWorkGrant(budget: self, bytes: weight)
    }

    /// Slots held right now.
    public var inUse: Int { state.withLock { $0.inUse } }
    /// The most slots ever held at once: never above ``slots``.
    public var peakInUse: Int { state.withLock { $0.peakInUse } }
    /// Estimated bytes held right now.
    public var bytesInUse: Int { state.withLock { $0.bytesInUse } }
    /// The most estimated bytes ever held at once: never above ``bytes``.
    public var peakBytesInUse: Int { state.withLock { $0.peakBytesInUse } }
    /// How many times a slot was taken.
    public var acquisitions: Int { state.withLock { $0.acquisitions } }
    /// Callers waiting for a slot.
    public var waiting: Int { state.withLock { $0.waiting } }
}

/// A worker's share of the ``ImageWorkBudget``: a slot for its kernel call and the call's estimated bytes. After the
/// call the slot goes back while the bytes the result still needs stay held until it is stored; whatever is left
/// goes back when the grant ends, so no path can leak budget.
public struct ImageWorkGrant: ~Copyable, Sendable {
    private let budget: ImageWorkBudget
    /// The bytes held now.
    public private(set) var bytes: Int
    private var holdsSlot = true

    fileprivate init(budget: ImageWorkBudget, bytes: Int) {
        self.budget = budget
        self.bytes = bytes
    }

    /// The kernel call is over: gives back the slot and all but `keeping` of the bytes (a grant only shrinks; the
    /// estimate already covers the result on its way out).
    public mutating func endKernelCall(keeping: Int) {
        guard holdsSlot else { return }
        let kept = min(max(keeping, 0), bytes)
        budget.giveBack(slot: true, bytes: bytes - kept)
        holdsSlot = false
        bytes = kept
    }

    deinit {
        budget.giveBack(slot: holdsSlot, bytes: bytes)
    }
}
