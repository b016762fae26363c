/// Every change a job's row goes through, defined once: from which statuses, to which. The job store's statements
/// take their `status` guard and the status they write from here (``statusGuard``, ``target``), and
/// `JobTransitionTests` runs each statement on a row in every status to check it changes exactly those.
///
///     upload ──▶ queued ──start──▶ processing ──complete──▶ completed
///                 ▲  ▲                 │      └──fail──────▶ failed
///                 │  └────release──────┘  (hand-back at shutdown, out of memory, queue full)
///                 └──claim── (nobody holds it, or its holder's lease ran out: queued or processing)
public enum JobTransition: String, CaseIterable, Sendable {
    /// A sweep takes a job nobody holds, or one whose holder stopped heartbeating; it waits in memory as `queued`.
    case claim
    /// A worker begins an attempt: one more attempt, `processing`.
    case start
    /// The attempt stored its result.
    case complete
    /// The attempt failed for good (the image, or too many attempts).
    case fail
    /// The holder gives the job back, to be taken again (now, or after a retry delay).
    case release
    /// A heartbeat: the holder keeps the job; its status does not change.
    case renewLease

    /// The statuses the job may be in for the transition to apply; in any other, the statement changes nothing.
    public var sources: Set<JobStatus> {
        switch self {
        case .start: [.queued]
        case .complete, .fail: [.processing]
        case .claim, .release, .renewLease: JobStatus.unfinished
        }
    }

    /// The status written; nil keeps the one the row has.
    public var target: JobStatus? {
        switch self {
        case .claim, .release: .queued
        case .start: .processing
        case .complete: .completed
        case .fail: .failed
        case .renewLease: nil
        }
    }

    /// The statement's condition on `status`, e.g. `status IN ('queued', 'processing')`: constants of this type,
    /// never input, so they are written into the SQL rather than bound.
    var statusGuard: String { JobStatus.sqlCondition(sources) }
}

extension JobStatus {
    /// A job's status on upload.
    public static let initial = JobStatus.queued
    /// Not finished: some replica may still hold and run it.
    public static let unfinished: Set<JobStatus> = [.queued, .processing]
    /// Finished for good: no transition leaves these.
    public static let terminal: Set<JobStatus> = Set(allCases).subtracting(unfinished)

    /// `status IN ('a', 'b')` for `statuses`, in a stable order.
    static func sqlCondition(_ statuses: Set<JobStatus>, column: String = "status") -> String {
        let list = allCases.filter(statuses.contains).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return "\(column) IN (\(list))"
    }
}
