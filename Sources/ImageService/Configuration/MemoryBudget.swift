import Foundation
import HTTPTransport

/// How much memory the process may use, and the one place where it is split between what holds memory: request
/// bodies being received, originals waiting in the memory queue, responses waiting for their clients, and the image
/// work itself.
///
/// By default the budget is the container's limit (cgroup v2 `memory.max`, cgroup v1 `memory.limit_in_bytes`, the
/// smallest along the process's cgroup path; the machine's RAM when there is none) less a reserve for the runtime,
/// libpq and the connections: 15 % or 128 MiB, whichever is larger. `--memory-budget` sets it outright.
public struct MemoryBudget: Sendable, Equatable {
    /// Where the limit came from.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case cgroupV2(path: String)
        case cgroupV1(path: String)
        case machine
        case configured

        public var description: String {
            switch self {
            case .cgroupV2(let path): "cgroup v2 memory.max of \(path)"
            case .cgroupV1(let path): "cgroup v1 memory.limit_in_bytes of \(path)"
            case .machine: "the machine's memory"
            case .configured: "--memory-budget"
            }
        }
    }

    /// The limit the budget is taken from (the configured budget itself when set).
    public let limitBytes: Int
    public let source: Source
    /// What the process's own buffers may add up to.
    public let totalBytes: Int

    /// The runtime, libpq's buffers (up to the body limit on the photo connection), the connections and their
    /// socket buffers: measured at about 100 MiB for an idle service under load, hence a floor above that.
    static let minimumReserveBytes = 128 * 1024 * 1024

    public init(limitBytes: Int, source: Source) {
        self.limitBytes = limitBytes
        self.source = source
        totalBytes =
            source == .configured
            ? limitBytes : max(limitBytes - max(limitBytes / 100 * 15, Self.minimumReserveBytes), limitBytes / 4)
    }

    // MARK: The split

    /// Request bodies all connections may hold while they are received (``BodyBudget``): a fifth, and never less
    /// than one body at the limit.
    public func requestBodyBytes(maxBodyBytes: Int) -> Int { max(totalBytes / 5, maxBodyBytes) }

    /// Originals waiting in the memory queue for a worker: a fifth. Beyond it jobs wait in PostgreSQL.
    public var queuedOriginalBytes: Int { totalBytes / 5 }

    /// Responses waiting for their clients on all connections together: a twentieth, at most 64 MiB (streamed
    /// downloads hold a part each, so more buys nothing).
    public var responseBytes: Int { min(totalBytes / 20, HTTPServerConfiguration.defaultOutputBudgetBytes) }

    /// Below this, the image work could not take even a small photo (a 4 MP JPEG resized needs about 16 MiB):
    /// `serve` refuses to start rather than refuse every upload.
    public static let minimumImageWorkBytes = 16 * 1024 * 1024

    /// The image work itself, what is left: every kernel call takes its estimated peak from it before it decodes
    /// (``ImageWorkBudget``), and a job larger than all of it is refused (`too_large_for_memory`).
    public func imageWorkBytes(maxBodyBytes: Int) -> Int {
        max(totalBytes - requestBodyBytes(maxBodyBytes: maxBodyBytes) - queuedOriginalBytes - responseBytes, 0)
    }

    // MARK: Finding the limit

    /// The budget for this process: the container's limit, else the machine's memory.
    public static func detect() -> MemoryBudget {
        let read = { (path: String) in try? String(contentsOfFile: path, encoding: .utf8) }
        if let cgroups = read("/proc/self/cgroup"), let limit = containerLimit(procSelfCgroup: cgroups, read: read) {
            return MemoryBudget(limitBytes: limit.bytes, source: limit.source)
        }
        return MemoryBudget(limitBytes: machineMemory(meminfo: read("/proc/meminfo") ?? ""), source: .machine)
    }

    /// The smallest memory limit along the process's cgroup path, v2 first, then v1; nil when there is none.
    /// `read` returns a file's contents (injected so that tests need no cgroups).
    static func containerLimit(
        procSelfCgroup: String, read: (String) -> String?
    ) -> (bytes: Int, source: Source)? {
        for line in procSelfCgroup.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[0] == "0", fields[1].isEmpty,
                let bytes = smallestLimit(under: "/sys/fs/cgroup", path: path, file: "memory.max", read: read)
            {
                return (bytes, .cgroupV2(path: path))
            }
            if fields[1].split(separator: ",").contains("memory"),
                let bytes = smallestLimit(
                    under: "/sys/fs/cgroup/memory", path: path, file: "memory.limit_in_bytes", read: read)
            {
                return (bytes, .cgroupV1(path: path))
            }
        }
        return nil
    }

    /// The smallest limit in `file` from the cgroup at `path` up to the root of `mount`. `max` (v2) and values of
    /// 2^62 and more (v1's "unlimited", rounded to a page) are no limit.
    private static func smallestLimit(under mount: String, path: String, file: String, read: (String) -> String?)
        -> Int?
    {
        var components = path.split(separator: "/").map(String.init)
        var smallest: Int?
        while true {
            let directory = ([mount] + components).joined(separator: "/")
            if let text = read(directory + "/" + file)?.trimmingCharacters(in: .whitespacesAndNewlines),
                let value = Int(text), value > 0, value < 1 << 62
            {
                smallest = min(smallest ?? value, value)
            }
            guard !components.isEmpty else { return smallest }
            components.removeLast()
        }
    }

    /// `MemTotal` of /proc/meminfo, in bytes (8 GiB if it cannot be read).
    static func machineMemory(meminfo: String) -> Int {
        for line in meminfo.split(whereSeparator: \.isNewline) where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kibibytes = Int(fields[1]) { return kibibytes * 1024 }
        }
        return 8 << 30
    }

    /// A size as `--memory-budget` takes it: bytes, or a number with `KiB`, `MiB` or `GiB`.
    public static func parseSize(_ text: String) -> Int? {
        let units: [(suffix: String, factor: Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            let number = trimmed.dropLast(unit.suffix.count).trimmingCharacters(in: .whitespaces)
            guard let value = Int(number), value > 0 else { return nil }
            let (bytes, overflow) = value.multipliedReportingOverflow(by: unit.factor)
            return overflow ? nil : bytes
        }
        return nil
    }
}
