import Foundation

/// A thread-safe FIFO that consumers wait on with a timeout: the hand-off between a transport's
/// socket thread (or in-memory sender) and the event loop calling `receive(timeout:)`.
///
/// Once closed it accepts nothing more and wakes every waiter; elements already queued are
/// discarded, because a closed transport has no one left to deliver them to.
// @unchecked Sendable: elements, head and isClosed are read and written only with `condition` locked.
final class BlockingQueue<Element>: @unchecked Sendable {
    // MARK: State (guarded by `condition`)

    private let condition = NSCondition()
    private var elements: [Element] = []
    private var head = 0
    private var isClosed = false

    // MARK: Producing

    /// Appends `element`; returns false (dropping it) once the queue is closed.
    @discardableResult
    func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !isClosed else { return false }
        elements.append(element)
        condition.signal()
        return true
    }

    /// Elements waiting to be taken.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return elements.count - head
    }

    // MARK: Consuming

    /// The oldest element, waiting up to `timeout` for one; nil on timeout or when closed.
    func pop(timeout: Duration) -> Element? {
        let deadline = Date(timeIntervalSinceNow: timeout.secondsValue)
        condition.lock()
        defer { condition.unlock() }
        while !isClosed {
            if let element = takeFirst() { return element }
            // `wait(until:)` returns false once the deadline has passed; look one last time.
            if !condition.wait(until: deadline) { return isClosed ? nil : takeFirst() }
        }
        return nil
    }

    private func takeFirst() -> Element? {
        guard head < elements.count else { return nil }
        let element = elements[head]
        head += 1
        compactIfNeeded()
        return element
    }

    /// Taking from the front of an array is O(n); advance a head index instead and reclaim the
    /// consumed prefix only when it dominates the storage.
    private func compactIfNeeded() {
        if head == elements.count {
            elements.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > elements.count {
            elements.removeFirst(head)
            head = 0
        }
    }

    // MARK: Closing

    func close() {
        condition.lock()
        defer { condition.unlock() }
        isClosed = true
        elements.removeAll()
        head = 0
        condition.broadcast()
    }
}
