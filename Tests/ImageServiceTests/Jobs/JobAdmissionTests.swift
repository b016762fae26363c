import Foundation
import Testing

@testable import ImageService
@testable import Imaging

/// Where an upload goes: refused for memory, held here, stored for any replica, or refused for the backlog.
@Suite struct JobAdmissionTests {
    private static func job() -> PendingJob {
        PendingJob(id: UUID(), options: ProcessingOptions(), original: [1, 2, 3], memoryEstimate: 10)
    }

    @Test func holdsAJobHereWhileTheMemoryQueueHasRoom() throws {
        let queue = WorkQueue(capacity: 1, byteCapacity: 100)
        let settings = JobSettings(replicaID: "me")
        let admission = JobAdmission(queue: queue, budget: ImageWorkBudget(slots: 1, bytes: 1000), settings: settings)
        let ticket = try admission.admit(byteCount: 3, estimate: 10)
        #expect(ticket.lease == settings.lease)
        let job = Self.job()
        admission.stored(ticket, as: job)
        #expect(queue.heldJobIDs == [job.id])
        #expect(admission.waiting == 0)
    }

    @Test func storesForAnyReplicaWhenTheQueueIsFullAndCountsItAtOnce() throws {
        let queue = WorkQueue(capacity: 1, byteCapacity: 100)
        let admission = JobAdmission(
            queue: queue, budget: ImageWorkBudget(slots: 1, bytes: 1000), settings: JobSettings(maxBacklog: 2))
        #expect(queue.enqueueIfRoom(Self.job()))
        for expected in 1...2 {
            let ticket = try admission.admit(byteCount: 3, estimate: 10)
            #expect(ticket.lease == nil)
            admission.stored(ticket, as: Self.job())
            #expect(admission.waiting == expected)
        }
        #expect(throws: JobAdmission.Refusal.backlogFull) { _ = try admission.admit(byteCount: 3, estimate: 10) }
        // A sweep counts the table again: one of them was taken meanwhile.
        admission.observe(BacklogStatistics(queued: 1, processing: 0, oldestQueuedAge: 0))
        #expect(admission.waiting == 1)
        #expect(try admission.admit(byteCount: 3, estimate: 10).lease == nil)
    }

    @Test func refusesAJobLargerThanAllTheImageWorkBeforeAnythingElse() {
        let queue = WorkQueue(capacity: 4, byteCapacity: 100)
        let admission = JobAdmission(
            queue: queue, budget: ImageWorkBudget(slots: 1, bytes: 1000), settings: JobSettings())
        #expect(throws: ImageError.self) { _ = try admission.admit(byteCount: 3, estimate: 1001) }
        #expect(queue.count == 0)
    }

    @Test func aTicketDroppedUnstoredGivesItsPlaceBack() throws {
        let queue = WorkQueue(capacity: 1, byteCapacity: 100)
        let admission = JobAdmission(
            queue: queue, budget: ImageWorkBudget(slots: 1, bytes: 1000), settings: JobSettings())
        do {
            let ticket = try admission.admit(byteCount: 3, estimate: 10)
            #expect(ticket.lease != nil)
            #expect(queue.count == 1)
        }
        #expect(queue.count == 0)
        #expect(admission.waiting == 0)
    }
}
