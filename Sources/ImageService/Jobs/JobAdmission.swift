import Imaging
import Synchronization

/// Where an upload goes, decided in one place, before its row is written:
/// - refused when its estimated peak is larger than all the image work
///   (``ImageError/tooLargeForMemory(estimate:budget:)``);
/// - held by this replica and handed to a worker once stored, when the memory queue has room (a reservation
///   there, and this replica's lease on the row);
/// - otherwise stored for whichever replica sweeps first, unless the jobs already waiting in the database reach
///   `maxBacklog` (``Refusal/backlogFull``: protects the disk).
///
/// The count of jobs waiting in the database is this type's own: each sweep sets it from the table and each job
/// stored here unheld raises it, so uploads between two sweeps count at once, and no upload costs a statement.
public final class JobAdmission: Sendable {
    /// Why an upload is not taken now.
    public enum Refusal: Error, Sendable, Equatable {
        /// As many jobs wait in the database as `maxBacklog` allows.
        case backlogFull
    }

    /// What an admitted upload is stored with: the place in the memory queue and the lease when it is held here,
    /// neither when it waits in the database. Not copyable, like the reservation in it.
    public struct Ticket: ~Copyable {
        fileprivate var reservation: WorkQueueReservation?
        /// The lease the row is born with; nil for a job any replica's sweep may take.
        public let lease: JobLease?
    }

    private let queue: WorkQueue
    private let budget: ImageWorkBudget
    private let settings: JobSettings
    private let waitingInDatabase = Atomic<Int>(0)

    public init(queue: WorkQueue, budget: ImageWorkBudget, settings: JobSettings) {
        self.queue = queue
        self.budget = budget
        self.settings = settings
    }

    /// Decides where an upload of `byteCount` bytes, estimated at `estimate` bytes of peak memory, goes.
    public func admit(byteCount: Int, estimate: Int) throws -> Ticket {
        guard budget.fits(estimate) else {
            throw ImageError.tooLargeForMemory(estimate: estimate, budget: budget.bytes)
        }
        if let reservation = queue.reserve(byteCount: byteCount, estimate: estimate) {
            return Ticket(reservation: reservation, lease: settings.lease)
        }
        guard waitingInDatabase.load(ordering: .relaxed) < settings.maxBacklog else { throw Refusal.backlogFull }
        return Ticket(reservation: nil, lease: nil)
    }

    /// The upload's row was created: a held job goes to the memory queue, an unheld one counts as waiting. A ticket
    /// dropped instead (the insert failed, or found an earlier upload) gives its place back by itself.
    public func stored(_ ticket: consuming Ticket, as job: PendingJob) {
        if let reservation = ticket.reservation.take() {
            reservation.fill(with: job)
        } else {
            waitingInDatabase.add(1, ordering: .relaxed)
        }
    }

    /// A sweep counted the jobs waiting in the database.
    public func observe(_ backlog: BacklogStatistics) {
        waitingInDatabase.store(backlog.queued, ordering: .relaxed)
    }

    /// Jobs waiting in the database, as of the last sweep and this replica's uploads since.
    public var waiting: Int { waitingInDatabase.load(ordering: .relaxed) }
}
