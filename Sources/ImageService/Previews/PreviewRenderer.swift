import Dispatch
import Imaging
import Synchronization

/// Makes thumbnails for the page (`?preview=256`) on the workers' budget: each render holds a slot of the shared
/// ``ImageWorkBudget`` and its estimated peak memory, so previews and jobs together never run more kernel calls
/// than there are workers nor hold more than the image work's memory. The calls block, so they run on a dispatch
/// queue of this renderer's, never on the event loop or Swift's cooperative pool; the queue is concurrent and the
/// budget alone limits how many run.
///
/// Coalescing identical requests and remembering failures is ``PreviewFlights``' part; this type only renders.
public final class PreviewRenderer: Sendable {
    /// The preview sizes offered: the longest side in pixels.
    public static let sizes: Set<Int> = [128, 256, 512]

    private let kernel: ImageKernel
    /// The budget shared with the workers: the upload checks a job against it too.
    let budget: ImageWorkBudget
    private let queue = DispatchQueue(label: "imageproc.previews", qos: .utility, attributes: .concurrent)
    private let renders = Atomic(0)

    public init(kernel: ImageKernel, budget: ImageWorkBudget) {
        self.kernel = kernel
        self.budget = budget
    }

    /// How many renders were started (successful or not): what tests count.
    public var renderCount: Int { renders.load(ordering: .relaxed) }

    /// `bytes` shrunk to fit a `size`×`size` box, in its own format. Never enlarges. Waits for a slot and the
    /// render's estimated memory first; refused (`too_large_for_memory`) when that is more than the whole budget.
    public func render(_ bytes: [UInt8], size: Int) async throws(ImageError) -> ProcessedImage {
        renders.add(1, ordering: .relaxed)
        let options = try Self.thumbnailOptions(bytes, size: size, kernel: kernel)
        let estimate = try kernel.estimatedPeakBytes(bytes, options: options)
        guard budget.fits(estimate) else { throw .tooLargeForMemory(estimate: estimate, budget: budget.bytes) }
        await budget.acquire(bytes: estimate)
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<ProcessedImage, ImageError>, Never>) in
            queue.async { [self] in
                let result = Result { () throws(ImageError) in try kernel.process(bytes, options: options) }
                budget.release(bytes: estimate)
                continuation.resume(returning: result)
            }
        }
        return try result.get()
    }

    static func thumbnailOptions(
        _ bytes: [UInt8], size: Int, kernel: ImageKernel
    ) throws(ImageError) -> ProcessingOptions {
        let info = try kernel.probe(bytes)
        let scale = min(1, Double(size) / Double(max(info.width, info.height)))
        return ProcessingOptions(
            operations: [.resize], width: max(1, Int((Double(info.width) * scale).rounded())),
            height: max(1, Int((Double(info.height) * scale).rounded())), fit: .fill, quality: 80)
    }
}
