//! The listening socket, with a write deadline on every connection: a client that stops
//! reading (an SSE viewer, a WebSocket, a slow download) is cut off after `write_timeout`.
//!
//! Why here and not in the handlers: when a client stops reading, hyper stops polling the
//! response body, so an SSE stream never gets a chance to notice from inside. The socket is
//! the one place that sees every stalled write, for plain responses, SSE and upgraded
//! WebSockets alike (an upgrade keeps the same connection object).

use axum::serve::Listener;
use prometheus_client::metrics::counter::Counter;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep, Sleep};

/// A [`TcpListener`] whose connections fail their writes once a write has made no progress
/// for `write_timeout`.
pub struct DeadlineListener {
    inner: TcpListener,
    write_timeout: Duration,
    /// Counts connections cut off for not reading (`curbside_write_timeouts_total`).
    timeouts: Counter,
}

impl DeadlineListener {
    pub fn new(inner: TcpListener, write_timeout: Duration, timeouts: Counter) -> DeadlineListener {
        DeadlineListener { inner, write_timeout, timeouts }
    }
}

impl Listener for DeadlineListener {
    type Io = WriteDeadline<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.inner).await;
        (WriteDeadline::new(stream, self.write_timeout, self.timeouts.clone()), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An I/O object whose writes fail with `TimedOut` when the peer has accepted no bytes for
/// `timeout`. The timer runs only while a write is pending; any progress resets it.
pub struct WriteDeadline<T> {
    io: T,
    timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
    timeouts: Counter,
}

impl<T> WriteDeadline<T> {
    pub fn new(io: T, timeout: Duration, timeouts: Counter) -> WriteDeadline<T> {
        WriteDeadline { io, timeout, stalled: None, timeouts }
    }

    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// Called when the inner write is pending: starts the timer or reports that it ran out.
    fn check_stall(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let timeout = self.timeout;
        let timer = self.stalled.get_or_insert_with(|| Box::pin(sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.timeouts.inc();
                tracing::debug!("closing a connection that stopped reading");
                Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<R>(&mut self, r: Poll<R>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        match r {
            Poll::Ready(v) => {
                self.stalled = None;
                Poll::Ready(Ok(v))
            }
            Poll::Pending => self.check_stall(cx).map(Err),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteDeadline<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.io).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => self.progressed(Poll::Ready(n), cx),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.progressed(Poll::<usize>::Pending, cx),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.io).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => self.progressed(Poll::Ready(n), cx),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.progressed(Poll::<usize>::Pending, cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Ready(Ok(())) => self.progressed(Poll::Ready(()), cx),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.progressed(Poll::<()>::Pending, cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_write_the_peer_never_takes_fails_after_the_timeout() {
        // A pipe whose other end is never read: its buffer fills, then writes stay pending.
        let (near, _far) = tokio::io::duplex(1024);
        let counter = Counter::default();
        let mut io = WriteDeadline::new(near, Duration::from_millis(50), counter.clone());
        let err = io.write_all(&[0u8; 64 * 1024]).await.expect_err("the write times out");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(counter.get(), 1);
    }

    #[tokio::test]
    async fn a_slow_but_reading_peer_is_not_cut_off() {
        let (near, mut far) = tokio::io::duplex(1024);
        let mut io = WriteDeadline::new(near, Duration::from_millis(200), Counter::default());
        let reader = tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut buf = [0u8; 512];
            let mut total = 0;
            while total < 16 * 1024 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                total += far.read(&mut buf).await.expect("read");
            }
        });
        io.write_all(&[0u8; 16 * 1024]).await.expect("every byte is taken in the end");
        reader.await.expect("reader");
    }
}
