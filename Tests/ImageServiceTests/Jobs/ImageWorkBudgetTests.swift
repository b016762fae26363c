import Foundation
import Synchronization
import Testing

@testable import ImageService
@testable import TestSupport

@Suite(.timeLimit(.minutes(1))) struct ImageWorkBudgetTests {
    /// Counts holders as the test sees them, independently of the budget's own bookkeeping.
    private final class Holders: Sendable {
        private let state = Mutex((now: 0, peak: 0))

        func enter() {
            state.withLock {
                $0.now += 1
                $0.peak = max($0.peak, $0.now)
            }
        }
        func leave() { state.withLock { $0.now -= 1 } }
        var peak: Int { state.withLock { $0.peak } }
    }

    /// The order in which holders got their slot.
    private final class Order: Sendable {
        private let names = Mutex<[String]>([])

        func append(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    /// Waits (politely) until `condition` holds.
    private func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<2000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        #expect(condition())
    }

    @Test func neverLendsMoreThanItsSlotsToTasksAndThreadsTogether() async throws {
        let budget = ImageWorkBudget(slots: 2)
        let holders = Holders()
        let threads = DispatchGroup()
        for _ in 0..<3 {
            threads.enter()
            Thread {
                for _ in 0..<20 {
                    budget.withSlot {
                        holders.enter()
                        usleep(200)
                        holders.leave()
                    }
                }
                threads.leave()
            }.start()
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    for _ in 0..<10 {
                        await budget.acquire()
                        holders.enter()
                        try? await Task.sleep(for: .microseconds(200))
                        holders.leave()
                        budget.release()
                    }
                }
            }
        }
        try await blocking { threads.wait() }
        #expect(holders.peak == 2)
        #expect(budget.peakInUse == 2)
        #expect(budget.inUse == 0)
        #expect(budget.waiting == 0)
        #expect(budget.acquisitions == 3 * 20 + 16 * 10)
    }

    @Test func servesWaitersInArrivalOrderWhateverTheirKind() async throws {
        let budget = ImageWorkBudget(slots: 1)
        await budget.acquire()
        let order = Order()
        let threadDone = DispatchGroup()
        // Line up: a task, a thread, a task — each only once the one before is waiting.
        let first = Task {
            await budget.acquire()
            order.append("task 1")
            budget.release()
        }
        try await eventually { budget.waiting == 1 }
        threadDone.enter()
        Thread {
            budget.acquireBlocking()
            order.append("thread")
            budget.release()
            threadDone.leave()
        }.start()
        try await eventually { budget.waiting == 2 }
        let third = Task {
            await budget.acquire()
            order.append("task 2")
            budget.release()
        }
        try await eventually { budget.waiting == 3 }
        budget.release()
        await first.value
        await third.value
        try await blocking { threadDone.wait() }
        #expect(order.all == ["task 1", "thread", "task 2"])
        #expect(budget.inUse == 0)
    }

    @Test func handsAReleasedSlotToTheWaiterRatherThanFreeingIt() async throws {
        let budget = ImageWorkBudget(slots: 1)
        await budget.acquire()
        let waiter = Task { await budget.acquire() }
        try await eventually { budget.waiting == 1 }
        budget.release()
        // The slot went straight to the waiter: still in use, nobody waiting, nothing free for a newcomer to grab.
        #expect(budget.inUse == 1)
        #expect(budget.waiting == 0)
        await waiter.value
        let newcomer = Task { await budget.acquire() }
        try await eventually { budget.waiting == 1 }
        budget.release()
        await newcomer.value
        budget.release()
        #expect(budget.inUse == 0)
    }

    @Test func losesNoWakeUpUnderContention() async throws {
        // One slot, many short holders: a lost wake-up leaves someone waiting forever and the time limit fails it.
        let budget = ImageWorkBudget(slots: 1)
        let threads = DispatchGroup()
        for _ in 0..<2 {
            threads.enter()
            Thread {
                for _ in 0..<2000 { budget.withSlot {} }
                threads.leave()
            }.start()
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<500 {
                        await budget.acquire()
                        budget.release()
                    }
                }
            }
        }
        try await blocking { threads.wait() }
        #expect(budget.acquisitions == 2 * 2000 + 8 * 500)
        #expect(budget.inUse == 0 && budget.waiting == 0)
        #expect(budget.peakInUse == 1)
    }

    // MARK: Weighted by estimated bytes

    @Test func neverHoldsMoreBytesThanItHasWhateverTheWeights() async throws {
        let budget = ImageWorkBudget(slots: 4, bytes: 100)
        let threads = DispatchGroup()
        for seed in 0..<3 {
            threads.enter()
            Thread {
                for round in 0..<40 {
                    // 10 to 70 bytes: at most a few fit at once, never four of the large ones.
                    budget.withSlot(bytes: 10 + (seed * 13 + round * 7) % 61) { usleep(100) }
                }
                threads.leave()
            }.start()
        }
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<6 {
                group.addTask {
                    for round in 0..<20 {
                        let bytes = 5 + (task * 11 + round * 17) % 90
                        await budget.acquire(bytes: bytes)
                        try? await Task.sleep(for: .microseconds(100))
                        budget.release(bytes: bytes)
                    }
                }
            }
        }
        try await blocking { threads.wait() }
        #expect(budget.peakBytesInUse <= 100)
        #expect(budget.peakBytesInUse > 70)
        #expect(budget.bytesInUse == 0 && budget.inUse == 0 && budget.waiting == 0)
        #expect(budget.acquisitions == 3 * 40 + 6 * 20)
    }

    /// A large call waiting for room is not overtaken by small ones that would fit (it would starve while they keep
    /// coming); those behind it run as soon as it has started, as many at once as fit.
    @Test func aLargeWaiterIsNotOvertakenAndTheSmallOnesBehindItFollow() async throws {
        let budget = ImageWorkBudget(slots: 4, bytes: 100)
        await budget.acquire(bytes: 60)
        let large = Task { await budget.acquire(bytes: 80) }
        try await eventually { budget.waiting == 1 }
        // 40 bytes are free and would fit both of these, but the large call is first in line.
        let small = (0..<2).map { _ in Task { await budget.acquire(bytes: 10) } }
        try await eventually { budget.waiting == 3 }
        try await Task.sleep(for: .milliseconds(20))
        #expect(budget.bytesInUse == 60 && budget.waiting == 3)
        budget.release(bytes: 60)
        // One release serves the large call and, beside its 80 bytes, both small ones.
        await large.value
        for task in small { await task.value }
        #expect(budget.bytesInUse == 100 && budget.inUse == 3)
        budget.release(bytes: 80)
        budget.release(bytes: 10)
        budget.release(bytes: 10)
        #expect(budget.bytesInUse == 0 && budget.inUse == 0)
    }

    @Test func aGrantGivesItsSlotBackAfterTheKernelCallAndItsBytesWhenItEnds() async throws {
        let budget = ImageWorkBudget(slots: 1, bytes: 100)
        try await blocking {
            var grant = budget.grant(bytes: 70)
            #expect(budget.inUse == 1 && budget.bytesInUse == 70)
            grant.endKernelCall(keeping: 20)
            #expect(budget.inUse == 0 && budget.bytesInUse == 20)
            // The slot is free for another call, within the bytes left.
            budget.withSlot(bytes: 80) { #expect(budget.bytesInUse == 100) }
            // A grant only shrinks.
            grant.endKernelCall(keeping: 90)
            #expect(budget.bytesInUse == 20)
            _ = consume grant
            #expect(budget.bytesInUse == 0)
        }
        #expect(budget.fits(100) && !budget.fits(101))
    }
}
