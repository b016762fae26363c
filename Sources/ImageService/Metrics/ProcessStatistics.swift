import Foundation

/// What `/proc/self` says about this process: resident memory, open descriptors, CPU time and start time.
struct ProcessStatistics {
    var residentBytes: Double
    var openDescriptors: Double
    var cpuSeconds: Double
    var startTimeSeconds: Double

    /// Reads the current values; zeros where `/proc` is not available.
    static func current() -> ProcessStatistics {
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let resident = statm.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        // Fields after the command name (which may hold spaces) start at the last ')'.
        let stat = (try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last.map { $0.split(separator: " ").map(String.init) } ?? []
        // utime, stime and starttime are fields 14, 15 and 22 of stat(5); here fields[11], [12] and [19].
        func field(_ index: Int) -> Double { index < fields.count ? Double(fields[index]) ?? 0 : 0 }
        let uptime = (try? String(contentsOfFile: "/proc/uptime", encoding: .utf8))?.split(separator: " ").first
            .flatMap { Double($0) } ?? 0
        let bootTime = Date().timeIntervalSince1970 - uptime
        return ProcessStatistics(
            residentBytes: resident * pageSize, openDescriptors: Double(descriptors),
            cpuSeconds: ticks > 0 ? (field(11) + field(12)) / ticks : 0,
            startTimeSeconds: ticks > 0 ? bootTime + field(19) / ticks : 0)
    }
}
