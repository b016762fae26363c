import Testing

@testable import ImageService

@Suite struct MemoryBudgetTests {
    private static let gibibyte = 1 << 30

    @Test func keepsFifteenPercentOrAtLeast128MiBInReserve() {
        let pod = MemoryBudget(limitBytes: Self.gibibyte, source: .cgroupV2(path: "/"))
        #expect(pod.totalBytes == Self.gibibyte - Self.gibibyte / 100 * 15)
        let small = MemoryBudget(limitBytes: 512 << 20, source: .machine)
        #expect(small.totalBytes == 384 << 20)
        #expect(MemoryBudget(limitBytes: 2 << 30, source: .configured).totalBytes == 2 << 30)
    }

    /// What a 1 GiB pod gets: about 870 MiB, a fifth of it for bodies and a fifth for the queue.
    @Test func splitsTheBudgetOfAOneGiBPod() {
        let pod = MemoryBudget(limitBytes: Self.gibibyte, source: .cgroupV1(path: "/kubepods/x"))
        #expect(pod.requestBodyBytes(maxBodyBytes: 50 << 20) == pod.totalBytes / 5)
        #expect(pod.queuedOriginalBytes == pod.totalBytes / 5)
        #expect(pod.responseBytes == pod.totalBytes / 20)
        // Never less than one body at the limit.
        #expect(
            MemoryBudget(limitBytes: 160 << 20, source: .machine).requestBodyBytes(maxBodyBytes: 50 << 20) == 50 << 20)
    }

    @Test func readsTheSmallestV2LimitAlongThePath() {
        let files = [
            "/sys/fs/cgroup/kubepods/pod1/memory.max": "1073741824\n",
            "/sys/fs/cgroup/kubepods/memory.max": "4294967296\n",
            "/sys/fs/cgroup/kubepods/pod1/app/memory.max": "max\n",
            "/sys/fs/cgroup/memory.max": "max\n",
        ]
        let limit = MemoryBudget.containerLimit(procSelfCgroup: "0::/kubepods/pod1/app\n") { files[$0] }
        #expect(limit?.bytes == 1 << 30)
        #expect(limit?.source == .cgroupV2(path: "/kubepods/pod1/app"))
    }

    @Test func readsV1AndTakesItsHugeValueAsNoLimit() {
        let cgroups = "12:pids:/\n9:memory:/docker/abc\n1:name=systemd:/\n"
        let limited = ["/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "536870912\n"]
        #expect(MemoryBudget.containerLimit(procSelfCgroup: cgroups) { limited[$0] }?.bytes == 512 << 20)
        let unlimited = ["/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "9223372036854771712\n"]
        #expect(MemoryBudget.containerLimit(procSelfCgroup: cgroups) { unlimited[$0] } == nil)
    }

    @Test func fallsBackToTheMachinesMemory() {
        #expect(
            MemoryBudget.machineMemory(meminfo: "MemTotal:       24683792 kB\nMemFree: 1 kB\n") == 24_683_792 * 1024)
    }

    @Test func parsesSizes() {
        #expect(MemoryBudget.parseSize("1073741824") == 1 << 30)
        #expect(MemoryBudget.parseSize("768MiB") == 768 << 20)
        #expect(MemoryBudget.parseSize("2 GiB") == 2 << 30)
        #expect(MemoryBudget.parseSize("64KiB") == 64 << 10)
        for bad in ["", "-1", "0", "1.5GiB", "1GB", "lots", "99999999999GiB"] {
            #expect(MemoryBudget.parseSize(bad) == nil, "\(bad)")
        }
    }
}
