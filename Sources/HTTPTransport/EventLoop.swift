import CSystemShims
import Glibc
import Synchronization

/// One thread that multiplexes many non-blocking sockets with epoll (level-triggered), so open connections cost a
/// table entry each, not a thread.
///
/// Everything registered with the loop is touched only on the loop's thread; other threads talk to it through
/// `execute(_:)`, which queues a task and wakes the loop through an eventfd. `tick` runs about once a second for
/// timeouts.
final class EventLoop: @unchecked Sendable {
    /// Called on the loop thread with the epoll event bits for a descriptor.
    typealias Handler = (UInt32) -> Void

    private let epoll: Int32
    private let wakeup: Int32
    private let pendingTasks = Mutex<[@Sendable () -> Void]>([])
    private let stopped = Atomic(false)
    // Loop thread only.
    private var handlers: [Int32: Handler] = [:]

    init() throws(SystemError) {
        epoll = try systemCall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        do {
            wakeup = try systemCall("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        } catch {
            _ = close(epoll)
            throw error
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeup
        // Cannot fail for a fresh eventfd on a fresh epoll instance short of a kernel bug.
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event) == 0, "epoll_ctl on the wakeup eventfd")
    }

    deinit {
        _ = close(wakeup)
        _ = close(epoll)
    }

    /// Starts watching `descriptor` for `events` (`EPOLLIN`, `EPOLLOUT` bits).
    func register(_ descriptor: Int32, events: UInt32, handler: @escaping Handler) throws(SystemError) {
        try control(EPOLL_CTL_ADD, descriptor, events)
        handlers[descriptor] = handler
    }

    /// Changes the events watched for `descriptor`; 0 parks it (errors and hang-ups are still reported).
    func modify(_ descriptor: Int32, events: UInt32) throws(SystemError) {
        try control(EPOLL_CTL_MOD, descriptor, events)
    }

    /// Stops watching `descriptor`. Call before closing it.
    func deregister(_ descriptor: Int32) {
        handlers[descriptor] = nil
        var event = epoll_event()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, descriptor, &event)
    }

    /// Runs `task` on the loop thread soon. Safe from any thread.
    func execute(_ task: @escaping @Sendable () -> Void) {
        pendingTasks.withLock { $0.append(task) }
        var one: UInt64 = 1
        _ = Glibc.write(wakeup, &one, MemoryLayout<UInt64>.size)
    }

    /// Makes `run` return after the current iteration. Safe from any thread.
    func stop() {
        stopped.store(true, ordering: .releasing)
        execute {}
    }

    /// Runs the loop on the calling thread until `stop()`.
    func run(tick: () -> Void) {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var lastTick = monotonicSeconds()
        while !stopped.load(ordering: .acquiring) {
            let count = events.withUnsafeMutableBufferPointer {
                epoll_wait(epoll, $0.baseAddress, Int32($0.count), 1000)
            }
            if count > 0 {
                for event in events[0..<Int(count)] {
                    let descriptor = event.data.fd
                    if descriptor == wakeup {
                        drainWakeup()
                    } else {
                        handlers[descriptor]?(event.events)
                    }
                }
            }
            runPendingTasks()
            let now = monotonicSeconds()
            if now != lastTick {
                lastTick = now
                tick()
            }
        }
        runPendingTasks()
    }

    private func control(_ operation: Int32, _ descriptor: Int32, _ events: UInt32) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        _ = try systemCall("epoll_ctl") { epoll_ctl(epoll, operation, descriptor, &event) }
    }

    private func drainWakeup() {
        var value: UInt64 = 0
        _ = Glibc.read(wakeup, &value, MemoryLayout<UInt64>.size)
    }

    private func runPendingTasks() {
        let tasks = pendingTasks.withLock { tasks in
            defer { tasks.removeAll(keepingCapacity: true) }
            return tasks
        }
        for task in tasks { task() }
    }
}

/// Whole seconds of the monotonic clock: the loop ticks when it changes.
func monotonicSeconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec)
}

/// Milliseconds of the monotonic clock: the unit of every connection deadline and of ``TransferRate``.
func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
