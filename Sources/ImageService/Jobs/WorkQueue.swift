import Foundation

/// A thread-safe FIFO of jobs between the request handlers and the worker threads, bounded by job count, by the
/// bytes the jobs carry, and by their estimated peak memory: at most one image-work budget's worth of jobs waits
/// here (``ImageWorkBudget``), so that the rest waits in PostgreSQL for whichever replica has room.
///
/// Space is taken before a job exists: a handler calls `reserve(byteCount:)` before it stores the upload, so an
/// accepted job always has a place here and a full queue is refused before anything is written. All state sits in
/// one enum behind one condition lock, as in SwiftNIO's `NIOThreadPool`; `enqueue` wakes one worker, `shutdown`
/// wakes them all and hands back what they never started.
public final class WorkQueue: @unchecked Sendable {
    private enum State {
        case running(items: [PendingJob], head: Int, reserved: Books)
        case stopped
    }

    /// What the reserved and waiting jobs take together.
    private struct Books {
        var count = 0
        var bytes = 0
        var estimate = 0

        func adding(_ bytes: Int, _ estimate: Int) -> Books {
            Books(count: count + 1, bytes: self.bytes + bytes, estimate: self.estimate + estimate)
        }

        func removing(_ bytes: Int, _ estimate: Int) -> Books {
            Books(count: count - 1, bytes: self.bytes - bytes, estimate: self.estimate - estimate)
        }
    }

    /// The most jobs the queue holds (reserved or waiting).
    public let capacity: Int
    /// The most original bytes the queued jobs may hold together.
    public let byteCapacity: Int
    /// The most estimated peak bytes (``PendingJob/memoryEstimate``) the queued jobs may add up to.
    public let estimateCapacity: Int

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var state: State = .running(items: [], head: 0, reserved: Books())
    /// Jobs handed to a worker and not yet reported `finished`.
    private var inProgress: Set<UUID> = []

    /// `estimateCapacity` defaults to no bound beyond count and bytes.
    public init(capacity: Int, byteCapacity: Int, estimateCapacity: Int = .max) {
        precondition(capacity > 0 && byteCapacity > 0 && estimateCapacity > 0, "a work queue needs room for one job")
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.estimateCapacity = estimateCapacity
    }

    /// Takes room for one job of `byteCount` bytes estimated to need `estimate` bytes while it runs, or returns nil
    /// when the queue is full or stopped.
    ///
    /// Any one job is still admitted into an empty queue, so that no upload within the limits is refused forever.
    public func reserve(byteCount: Int, estimate: Int = 0) -> WorkQueueReservation? {
        condition.lock()
        defer { condition.unlock() }
        guard case .running(let items, let head, let reserved) = state, reserved.count < capacity else { return nil }
        let fits =
            reserved.count == 0
            || (reserved.bytes + byteCount <= byteCapacity && reserved.estimate + estimate <= estimateCapacity)
        guard fits else { return nil }
        state = .running(items: items, head: head, reserved: reserved.adding(byteCount, estimate))
        return WorkQueueReservation(queue: self, byteCount: byteCount, estimate: estimate)
    }

    /// Adds a job if there is room for it now (the sweep's path, which has the job before it can know its size).
    public func enqueueIfRoom(_ job: PendingJob) -> Bool {
        reserve(byteCount: job.original.count, estimate: job.memoryEstimate)?.fill(with: job) ?? false
    }

    /// How many more jobs the queue would take now, byte capacity aside.
    public var freeSlots: Int {
        condition.lock()
        defer { condition.unlock() }
        guard case .running(_, _, let reserved) = state else { return 0 }
        return capacity - reserved.count
    }

    /// How many more bytes of originals and of estimates the queue would take now, and whether it is empty (then it
    /// takes any one job, so that a job larger than either capacity is not refused forever).
    public var freeRoom: (bytes: Int, estimate: Int, isEmpty: Bool) {
        condition.lock()
        defer { condition.unlock() }
        guard case .running(_, _, let reserved) = state else { return (0, 0, false) }
        return (
            max(0, byteCapacity - reserved.bytes), max(0, estimateCapacity - reserved.estimate), reserved.count == 0
        )
    }

    /// Blocks until a job is available and returns it, or returns nil once the queue is shut down.
    public func next() -> PendingJob? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch state {
            case .stopped:
                return nil
            case .running(var items, var head, let reserved):
                guard head < items.count else {
                    condition.wait()
                    continue
                }
                let job = items[head]
                head += 1
                // Drop consumed slots once they outnumber the waiting ones, so the array never grows without bound.
                if head * 2 >= items.count {
                    items.removeFirst(head)
                    head = 0
                }
                state = .running(
                    items: items, head: head, reserved: reserved.removing(job.original.count, job.memoryEstimate))
                inProgress.insert(job.id)
                return job
            }
        }
    }

    /// A worker is done with a job it got from `next()`, whatever the outcome.
    public func finished(_ id: UUID) {
        condition.lock()
        defer { condition.unlock() }
        inProgress.remove(id)
    }

    /// The jobs a worker took with `next()` and has not `finished` yet.
    public var withWorkers: [UUID] {
        condition.lock()
        defer { condition.unlock() }
        return Array(inProgress)
    }

    /// The jobs this replica holds right now: waiting here or with a worker. Heartbeats renew exactly these, so a
    /// lease on a job this process lost track of (an upload whose answer never arrived) runs out and the job is
    /// swept up again.
    public var heldJobIDs: [UUID] {
        condition.lock()
        defer { condition.unlock() }
        guard case .running(let items, let head, _) = state else { return Array(inProgress) }
        return items[head...].map(\.id) + inProgress
    }

    /// The number of jobs waiting or reserved.
    public var count: Int {
        condition.lock()
        defer { condition.unlock() }
        guard case .running(_, _, let reserved) = state else { return 0 }
        return reserved.count
    }

    /// Stops the queue: workers waiting in `next()` get nil, new reservations fail, and the jobs never started are
    /// returned so the caller can hand them back.
    @discardableResult
    public func shutdown() -> [PendingJob] {
        condition.lock()
        defer { condition.unlock() }
        guard case .running(let items, let head, _) = state else { return [] }
        state = .stopped
        condition.broadcast()
        return Array(items[head...])
    }

    fileprivate func fill(byteCount: Int, estimate: Int, with job: PendingJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard case .running(var items, let head, let reserved) = state else { return false }
        // The reservation promised its figures; the job may differ (it should not), so keep the books exact.
        items.append(job)
        let books = reserved.removing(byteCount, estimate).adding(job.original.count, job.memoryEstimate)
        state = .running(items: items, head: head, reserved: books)
        condition.signal()
        return true
    }

    fileprivate func release(byteCount: Int, estimate: Int) {
        condition.lock()
        defer { condition.unlock() }
        guard case .running(let items, let head, let reserved) = state else { return }
        state = .running(items: items, head: head, reserved: reserved.removing(byteCount, estimate))
    }
}

/// Room for one job in a `WorkQueue`. Either filled with the job once it is stored, or given back when it goes out
/// of scope unfilled (the upload failed), so no error path can leak queue space.
public struct WorkQueueReservation: ~Copyable, @unchecked Sendable {
    // Unmanaged (retained by hand) because `discard self` accepts only trivially destroyed properties.
    private let queue: Unmanaged<WorkQueue>
    private let byteCount: Int
    private let estimate: Int

    fileprivate init(queue: WorkQueue, byteCount: Int, estimate: Int) {
        self.queue = .passRetained(queue)
        self.byteCount = byteCount
        self.estimate = estimate
    }

    /// Puts the job in the reserved place and wakes one worker. Returns false if the queue was shut down meanwhile
    /// (the job stays `queued` in the database for the next start).
    @discardableResult
    public consuming func fill(with job: PendingJob) -> Bool {
        let filled = queue.takeUnretainedValue().fill(byteCount: byteCount, estimate: estimate, with: job)
        queue.release()
        discard self
        return filled
    }

    deinit {
        queue.takeUnretainedValue().release(byteCount: byteCount, estimate: estimate)
        queue.release()
    }
}
