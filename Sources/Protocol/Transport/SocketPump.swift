import Foundation
import Logging

/// The dedicated thread that owns one `ZeroMQSocket`: it moves queued outbound messages onto the
/// socket and hands every inbound multipart message to a handler, sleeping in `zmq_poll` in
/// between. Other threads only touch the locked outbox and the wake pipe.
///
/// Why a thread and not a task: blocking in `zmq_poll` inside Swift concurrency would take one of
/// the cooperative pool's two threads away from everyone else on this machine.
// @unchecked Sendable: socket and handlers are used on the pump thread only; outbox and flags with `lock` held.
final class SocketPump: @unchecked Sendable {
    /// One message waiting to go out, with what a log line needs if it has to be dropped.
    struct Outbound {
        var frames: [Data]
        var peer: String
        var kind: MessageKind
    }

    struct Settings {
        /// Safety net only: the wake pipe interrupts the poll as soon as there is work.
        var pollInterval: Duration = .milliseconds(250)
        /// Whether a message to a peer whose queue is full is dropped (ROUTER: one slow worker
        /// must not stall the others) or kept until the socket is writable again (DEALER).
        var dropWhenBlocked: Bool
        /// How long messages queued at `stop()` may still be flushed.
        var closeLinger: Duration
        /// How many messages to read per wake-up before sending again, so a flood of inbound
        /// traffic cannot starve outbound messages.
        var receiveBatch = 256
        /// Messages held while the socket refuses more (beyond ZeroMQ's own high-water mark).
        var pendingLimit = 10_000
    }

    private let socket: ZeroMQSocket
    private let wakePipe: WakePipe
    private let settings: Settings
    private let logger: Logger
    private let counters: TransportCounters
    /// Called on the socket thread for each inbound message (frames as received).
    private let handleInbound: ([Data], Int) -> Void
    /// Asked on the socket thread; false pauses reading so ZeroMQ's high-water mark pushes back.
    private let canAcceptInbound: () -> Bool
    /// Admits or refuses handshaking peers and logs security events; nil without security.
    private let securityWatch: SecurityWatch?

    // MARK: Shared state (guarded by `lock`)

    private let lock = NSCondition()
    private var outbox: [Outbound] = []
    private var stopRequested = false
    private var finished = false

    init(
        socket: ZeroMQSocket, settings: Settings, logger: Logger, counters: TransportCounters,
        securityWatch: SecurityWatch? = nil,
        canAcceptInbound: @escaping () -> Bool, handleInbound: @escaping ([Data], Int) -> Void
    ) throws {
        self.socket = socket
        self.securityWatch = securityWatch
        self.wakePipe = try WakePipe()
        self.settings = settings
        self.logger = logger
        self.counters = counters
        self.canAcceptInbound = canAcceptInbound
        self.handleInbound = handleInbound
    }

    /// Starts the socket thread; from here on only that thread uses `socket`.
    func start(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    // MARK: Calls from other threads

    /// Queues a message and wakes the socket thread; false once stopped.
    func enqueue(_ outbound: Outbound) -> Bool {
        lock.lock()
        guard !stopRequested else {
            lock.unlock()
            return false
        }
        outbox.append(outbound)
        lock.unlock()
        wakePipe.signal()
        return true
    }

    /// Asks the socket thread to flush, close its socket and exit, and waits for it to finish
    /// (at most `timeout`). Safe to call more than once.
    @discardableResult
    func stop(timeout: Duration) -> Bool {
        lock.lock()
        stopRequested = true
        lock.unlock()
        wakePipe.signal()
        let deadline = Date(timeIntervalSinceNow: timeout.secondsValue)
        lock.lock()
        defer { lock.unlock() }
        while !finished {
            if !lock.wait(until: deadline) { return finished }
        }
        return true
    }

    // MARK: Socket thread

    private func run() {
        var pending: [Outbound] = []
        let pollMilliseconds = Int(settings.pollInterval.secondsValue * 1000)
        loop: while true {
            let stopping = takeOutbox(into: &pending)
            guard flush(&pending) else { break loop }
            if stopping { break loop }
            let wantsReadable = canAcceptInbound()
            guard
                let readiness = socket.poll(
                    readable: wantsReadable, writable: !pending.isEmpty,
                    wakeDescriptor: wakePipe.readDescriptor,
                    timeoutMilliseconds: pollMilliseconds)
            else { break loop }
            // Drain before taking the outbox: a signal that arrives later is for a message that
            // the next `takeOutbox` sees or that wakes the next poll, so none is lost.
            if readiness.woken { wakePipe.drain() }
            if readiness.authenticationPending {
                socket.serveAuthentication { securityWatch?.admits($0) ?? false }
            }
            if readiness.securityEventPending {
                for event in socket.takeSecurityEvents() { securityWatch?.observe(event) }
            }
            if readiness.readable, !receiveBatch() { break loop }
        }
        let unsent = pending.count
        socket.close(linger: settings.closeLinger)
        if unsent > 0 {
            counters.add(droppedOutbound: unsent)
            logger.warning("dropped unsent messages at close", metadata: ["count": "\(unsent)"])
        }
        lock.lock()
        finished = true
        outbox.removeAll()
        lock.broadcast()
        lock.unlock()
    }

    /// The pipe closes only when nothing can signal it any more: closing it when the thread
    /// exits would let a late `enqueue`/`stop` write into a descriptor number reused elsewhere.
    deinit {
        wakePipe.close()
    }

    /// Moves newly queued messages behind any still pending; returns whether a stop was asked.
    private func takeOutbox(into pending: inout [Outbound]) -> Bool {
        lock.lock()
        let taken = outbox
        outbox.removeAll(keepingCapacity: true)
        let stopping = stopRequested
        lock.unlock()
        // Leftovers from the last flush mean the socket refused them (a DEALER whose coordinator
        // is away): only then is a heartbeat stale. Judged before this batch is added, so a
        // heartbeat queued behind another message of the same batch (on a ROUTER, the heartbeat
        // to the previous worker) still goes out.
        let socketBlocked = !pending.isEmpty
        for outbound in taken {
            // Behind a blocked socket a heartbeat would arrive stale and pile up without bound;
            // only messages with content wait, up to a limit.
            if socketBlocked, outbound.kind == .heartbeat {
                counters.add(droppedOutbound: 1)
                continue
            }
            if pending.count >= settings.pendingLimit {
                counters.add(droppedOutbound: 1)
                logger.warning(
                    "dropped a message: the send queue is full",
                    metadata: [
                        "peer": "\(outbound.peer)", "type": "\(outbound.kind.rawValue)",
                    ])
                continue
            }
            pending.append(outbound)
        }
        return stopping
    }

    /// Sends pending messages in order until done or the socket is full. Returns false when the
    /// context is terminating. Undeliverable messages are logged and dropped, never thrown.
    private func flush(_ pending: inout [Outbound]) -> Bool {
        var sentCount = 0
        defer { pending.removeFirst(sentCount) }
        for outbound in pending {
            switch socket.send(outbound.frames) {
            case .sent:
                sentCount += 1
            case .wouldBlock where !settings.dropWhenBlocked:
                return true
            case .wouldBlock, .unreachable, .failed:
                sentCount += 1
                counters.add(droppedOutbound: 1)
                logger.info(
                    "dropped an undeliverable message",
                    metadata: [
                        "peer": "\(outbound.peer)", "type": "\(outbound.kind.rawValue)",
                    ])
            case .terminated:
                return false
            }
        }
        return true
    }

    /// Reads up to one batch of waiting messages. Returns false when the context is terminating.
    private func receiveBatch() -> Bool {
        for _ in 0..<settings.receiveBatch {
            switch socket.receive(keepFrames: 4) {
            case .message(let frames, let frameCount):
                handleInbound(frames, frameCount)
            case .nothingWaiting:
                return true
            case .terminated:
                return false
            }
            if !canAcceptInbound() { return true }
        }
        return true
    }
}
