import Foundation
import Testing

@testable import ImageService
@testable import Imaging
@testable import PostgresClient
@testable import TestSupport

/// The lifecycle as a table, and every statement of the job store checked against it on a real row in every status.
@Suite(.timeLimit(.minutes(1))) struct JobTransitionTests {
    @Test func theTableIsTheLifecycle() {
        #expect(JobStatus.initial == .queued)
        #expect(JobStatus.terminal == [.completed, .failed])
        for transition in JobTransition.allCases {
            // Nothing leaves a finished job.
            #expect(transition.sources.isDisjoint(with: JobStatus.terminal), "\(transition)")
        }
        let targets = Set(JobTransition.allCases.compactMap(\.target))
        #expect(targets == Set(JobStatus.allCases))
        #expect(JobTransition.start.statusGuard == "status IN ('queued')")
        #expect(JobTransition.release.statusGuard == "status IN ('queued', 'processing')")
        #expect(JobStatus.allCases.filter(\.isTerminal) == [.completed, .failed])
    }

    private static let owner = "transition-test"
    private static let lease = JobLease(owner: owner, duration: .seconds(60))

    /// Runs `transition`'s statement on a job in `status` held by ``owner`` at attempt 1 (unheld for a claim);
    /// returns whether it changed the row and the row's status after.
    private static func apply(_ transition: JobTransition, to status: JobStatus, _ store: JobStore) throws
        -> (changed: Bool, status: JobStatus)
    {
        let job = NewJob(
            original: TestImages.colorfulPNG(width: 4, height: 4),
            originalInfo: ImageInfo(format: .png, width: 4, height: 4),
            options: ProcessingOptions(operations: [.grayscale]), filename: nil, metadata: nil)
        let id = try store.insert(job, lease: lease).created().id
        try store.connection.query(
            """
            UPDATE processed_images SET status = $2, attempts = 1, locked_by = $3,
                processed_data = CASE WHEN $2 = 'completed' THEN '\\x00'::bytea END
            WHERE id = $1
            """,
            [id, status.rawValue, transition == .claim ? nil : owner])
        let attempt = JobAttempt(id: id, owner: owner, number: 1)
        let result = ProcessedImage(bytes: [1, 2, 3], info: ImageInfo(format: .png, width: 1, height: 1))
        let changed: Bool =
            switch transition {
            case .claim: try store.claim(lease: lease, limit: 10).contains { $0.job.id == id }
            case .start: try store.start(id: id, lease: lease) != nil
            case .complete: try store.complete(attempt, result: result)
            case .fail: try store.fail(attempt, failure: JobFailure(code: "test", message: "test"))
            case .release: try store.release(id: id, owner: owner)
            case .renewLease: try store.renewLeases(lease, ids: [id]) == 1
            }
        let after = try #require(try store.find(id: id))
        try store.delete(id: id)
        return (changed, after.status)
    }

    @Test(arguments: JobTransition.allCases)
    func eachStatementChangesExactlyTheStatusesItsTransitionLeaves(_ transition: JobTransition) throws {
        try TestDatabase.withScratchSchema { _, connect in
            let store = JobStore(connection: try connect())
            try Migrations.run(on: store.connection)
            for status in JobStatus.allCases {
                let (changed, after) = try Self.apply(transition, to: status, store)
                let applies = transition.sources.contains(status)
                #expect(changed == applies, "\(transition) on a \(status) job")
                #expect(after == (applies ? transition.target ?? status : status), "\(transition) on a \(status) job")
            }
        }
    }
}
