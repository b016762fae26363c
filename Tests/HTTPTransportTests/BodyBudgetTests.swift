import Testing

@testable import HTTPTransport

@Suite struct BodyBudgetTests {
    @Test func grantsWhatFitsAndQueuesTheRest() {
        var budget = BodyBudget(capacity: 100)
        do {
            let result = budget.acquire(60, for: 1)
            #expect(result)
        }
        do {
            let result = budget.acquire(60, for: 2)
            #expect(!result)
        }
        #expect(budget.inUse == 60)
        let granted = budget.release(60)
        #expect(granted.map(\.connection) == [2])
        #expect(budget.inUse == 60)
    }

    /// A large body at the head of the line is not overtaken by small ones, so it cannot starve.
    @Test func servesStrictlyInOrder() {
        var budget = BodyBudget(capacity: 100)
        do {
            let result = budget.acquire(50, for: 1)
            #expect(result)
        }
        do {
            let result = budget.acquire(100, for: 2)
            #expect(!result)
        }
        do {
            let result = budget.acquire(10, for: 3)
            #expect(!result)
        }
        do {
            let result = budget.release(50)
            #expect(result.map(\.connection) == [2])
        }
        do {
            let result = budget.release(100)
            #expect(result.map(\.connection) == [3])
        }
    }

    @Test func grantsSeveralWaitersAtOnceWhenTheyFit() {
        var budget = BodyBudget(capacity: 100)
        do {
            let result = budget.acquire(100, for: 1)
            #expect(result)
        }
        for id in 2...5 {
            let granted = budget.acquire(25, for: id)
            #expect(!granted)
        }
        do {
            let result = budget.release(100)
            #expect(result.map(\.connection) == [2, 3, 4, 5])
        }
        #expect(budget.inUse == 100)
    }

    @Test func forgetsAWaiterThatLeftAndLetsTheNextThrough() {
        var budget = BodyBudget(capacity: 100)
        do {
            let result = budget.acquire(40, for: 1)
            #expect(result)
        }
        do {
            let result = budget.acquire(100, for: 2)
            #expect(!result)
        }
        do {
            let result = budget.acquire(50, for: 3)
            #expect(!result)
        }
        do {
            let result = budget.cancel(2)
            #expect(result.map(\.connection) == [3])
        }
        #expect(budget.inUse == 90)
        // Connection 2 no longer waits: giving everything back lets nobody through.
        #expect(budget.release(90).isEmpty)
    }
}
