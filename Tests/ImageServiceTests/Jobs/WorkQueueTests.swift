import Foundation
import Synchronization
import Testing

@testable import ImageService
@testable import Imaging

@Suite struct WorkQueueTests {
    private func job(bytes: Int) -> PendingJob {
        PendingJob(id: UUID(), options: ProcessingOptions(), original: [UInt8](repeating: 0, count: bytes))
    }

    @Test func deliversJobsInOrder() {
        let queue = WorkQueue(capacity: 4, byteCapacity: 100)
        let jobs = (0..<3).map { _ in job(bytes: 1) }
        for job in jobs {
            let reservation = queue.reserve(byteCount: 1)
            #expect(reservation?.fill(with: job) == true)
        }
        #expect((0..<3).map { _ in queue.next()?.id } == jobs.map(\.id))
        #expect(queue.count == 0)
    }

    @Test func refusesBeyondCountCapacity() {
        let queue = WorkQueue(capacity: 2, byteCapacity: 100)
        let first = queue.reserve(byteCount: 1)
        let second = queue.reserve(byteCount: 1)
        let bothAdmitted = first != nil && second != nil
        let thirdAdmitted = queue.reserve(byteCount: 1) != nil
        #expect(bothAdmitted)
        #expect(!thirdAdmitted)
        _ = consume first
        _ = consume second
    }

    @Test func refusesBeyondByteCapacityButAdmitsOneLargeJobIntoAnEmptyQueue() {
        let queue = WorkQueue(capacity: 10, byteCapacity: 100)
        let large = queue.reserve(byteCount: 500)
        let largeAdmitted = large != nil
        let smallAdmitted = queue.reserve(byteCount: 1) != nil
        #expect(largeAdmitted)
        #expect(!smallAdmitted)
        _ = consume large
    }

    /// At most one image-work budget's worth of estimates waits in memory, so the rest waits in PostgreSQL for any
    /// replica; any one job still enters an empty queue.
    @Test func refusesBeyondEstimateCapacityButAdmitsOneLargeJobIntoAnEmptyQueue() {
        let queue = WorkQueue(capacity: 10, byteCapacity: 100, estimateCapacity: 1000)
        let large = queue.reserve(byteCount: 1, estimate: 5000)
        let largeAdmitted = large != nil
        #expect(largeAdmitted)
        let behindLarge = queue.reserve(byteCount: 1, estimate: 1) != nil
        #expect(!behindLarge)
        _ = consume large
        var job = job(bytes: 1)
        job.memoryEstimate = 600
        #expect(queue.enqueueIfRoom(job))
        #expect(queue.freeRoom.estimate == 400)
        let fits = queue.reserve(byteCount: 1, estimate: 400)
        let fitsAdmitted = fits != nil
        let tooMuchAdmitted = queue.reserve(byteCount: 1, estimate: 1) != nil
        #expect(fitsAdmitted)
        #expect(!tooMuchAdmitted)
        _ = consume fits
        _ = queue.next()
        #expect(queue.freeRoom.estimate == 1000 && queue.freeRoom.isEmpty)
    }

    @Test func droppedReservationGivesItsRoomBack() {
        let queue = WorkQueue(capacity: 1, byteCapacity: 100)
        do {
            let reservation = queue.reserve(byteCount: 50)
            let admitted = reservation != nil
            #expect(admitted)
            #expect(queue.count == 1)
        }
        #expect(queue.count == 0)
        let admittedAgain = queue.reserve(byteCount: 50) != nil
        #expect(admittedAgain)
    }

    /// Runs `body` on a plain thread: `next()` blocks, which must never happen on Swift's cooperative pool.
    private func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> () -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<T?>(nil)
        Thread {
            result.withLock { $0 = body() }
            done.signal()
        }.start()
        return {
            done.wait()
            return result.withLock { $0! }
        }
    }

    @Test func shutdownWakesWaitingWorkersAndReturnsUnstartedJobs() {
        let queue = WorkQueue(capacity: 4, byteCapacity: 100)
        let waiter = onThread { queue.next()?.id }
        // The waiting worker takes the first job; the second is handed back at shutdown.
        let first = job(bytes: 1)
        let second = job(bytes: 1)
        queue.reserve(byteCount: 1)?.fill(with: first)
        #expect(waiter() == first.id)
        queue.reserve(byteCount: 1)?.fill(with: second)
        #expect(queue.shutdown().map(\.id) == [second.id])
        #expect(queue.next() == nil)
        let admittedAfterShutdown = queue.reserve(byteCount: 1) != nil
        #expect(!admittedAfterShutdown)
    }

    @Test func manyProducersAndConsumersLoseNothing() {
        let queue = WorkQueue(capacity: 8, byteCapacity: 1 << 20)
        let perProducer = 500
        let consumers = (0..<4).map { _ in
            onThread { () -> Int in
                var seen = 0
                while queue.next() != nil { seen += 1 }
                return seen
            }
        }
        let producers = (0..<4).map { _ in
            onThread { () -> Int in
                var produced = 0
                while produced < perProducer {
                    if let reservation = queue.reserve(byteCount: 1) {
                        reservation.fill(with: PendingJob(id: UUID(), options: ProcessingOptions(), original: [1]))
                        produced += 1
                    } else {
                        sched_yield()
                    }
                }
                return produced
            }
        }
        let produced = producers.reduce(0) { $0 + $1() }
        while queue.count > 0 { usleep(1000) }
        queue.shutdown()
        let consumed = consumers.reduce(0) { $0 + $1() }
        #expect(produced == 4 * perProducer)
        #expect(consumed == produced)
    }
}
