/// One page of the job list, newest first, and the cursor for the next (older) page; `next` is nil on the last.
public struct JobPage: Sendable {
    public var items: [JobRecord]
    public var next: String?

    public init(items: [JobRecord], next: String?) {
        self.items = items
        self.next = next
    }
}
