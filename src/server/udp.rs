//! The UDP fast path: one socket per worker thread on the same address
//! (SO_REUSEPORT, so the kernel spreads clients over the cores), batched
//! receive and send with recvmmsg/sendmmsg, no allocation per query.
//!
//! Workers block in the kernel and hold no locks; the zone data they read
//! is reached through lock-free pointers, so a reload never stalls them.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use socket2::{Domain, Protocol, Socket, Type};

use socket2::SockAddr;

use crate::server::query::Transport;
use crate::server::{handle, submit_update, Action, Shared};
use crate::wire::builder::MessageBuilder;

/// Datagrams handled per system call.
const BATCH: usize = 32;
/// Largest request read; longer ones are cut by the kernel and dropped.
const RECV_SIZE: usize = 4096;

/// Opens one UDP socket on `addr` with SO_REUSEPORT.
pub fn bind(addr: SocketAddr) -> io::Result<std::net::UdpSocket> {
    let domain = if addr.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let sock = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_port(true)?;
    sock.set_recv_buffer_size(4 << 20).ok();
    sock.set_send_buffer_size(4 << 20).ok();
    sock.bind(&addr.into())?;
    Ok(sock.into())
}

/// Serves one socket until the process ends.
pub fn run_worker(sock: std::net::UdpSocket, shared: Arc<Shared>) {
    let fd = sock.as_raw_fd();
    // Update answers are sent later, from the writer thread.
    let reply_sock = sock.try_clone().ok().map(Arc::new);
    let mut rx = vec![[0u8; RECV_SIZE]; BATCH];
    let mut tx: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(1232)).collect();
    // SAFETY: plain C structs for which all-zero is a valid value.
    let mut addrs: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
    let mut iov: [libc::iovec; BATCH] = unsafe { zeroed() };
    let mut msgs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
    let mut tx_iov: [libc::iovec; BATCH] = unsafe { zeroed() };
    let mut tx_msgs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
    let mut builder = MessageBuilder::new();
    let mut owned: Vec<u8>;
    loop {
        for i in 0..BATCH {
            iov[i] = libc::iovec {
                iov_base: rx[i].as_mut_ptr().cast(),
                iov_len: RECV_SIZE,
            };
            msgs[i].msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            msgs[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            msgs[i].msg_hdr.msg_iov = &mut iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = std::ptr::null_mut();
            msgs[i].msg_hdr.msg_controllen = 0;
            msgs[i].msg_hdr.msg_flags = 0;
            msgs[i].msg_len = 0;
        }
        // SAFETY: every mmsghdr points at live buffers of the stated sizes.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                msgs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                tracing::warn!("udp receive failed: {err}");
            }
            continue;
        }
        let catalog = shared.catalog.load();
        let mut out = 0usize;
        for i in 0..n as usize {
            if msgs[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                continue;
            }
            let len = msgs[i].msg_len as usize;
            let resp = match handle(
                &rx[i][..len],
                &shared,
                &catalog,
                Transport::Udp,
                &mut builder,
            ) {
                Action::Reply(r) => r,
                Action::Owned(v) => {
                    owned = v;
                    &owned
                }
                Action::Drop => continue,
                Action::Transfer(t) => {
                    // SAFETY: the kernel filled addrs[i] with msg_namelen bytes.
                    let peer =
                        unsafe { SockAddr::new(addrs[i], msgs[i].msg_hdr.msg_namelen) }.as_socket();
                    let Some(peer) = peer else { continue };
                    owned = crate::server::xfr::answer_udp(&shared, t, peer.ip());
                    &owned
                }
                Action::Update(pending) => {
                    // SAFETY: the kernel filled addrs[i] with msg_namelen bytes.
                    let peer =
                        unsafe { SockAddr::new(addrs[i], msgs[i].msg_hdr.msg_namelen) }.as_socket();
                    if let (Some(peer), Some(sock)) = (peer, reply_sock.clone()) {
                        submit_update(&shared, pending, move |bytes| {
                            if let Err(e) = sock.send_to(&bytes, peer) {
                                tracing::warn!(%peer, "update answer not sent: {e}");
                            }
                        });
                    }
                    continue;
                }
            };
            tx[out].clear();
            tx[out].extend_from_slice(resp);
            tx_iov[out] = libc::iovec {
                iov_base: tx[out].as_mut_ptr().cast(),
                iov_len: tx[out].len(),
            };
            tx_msgs[out].msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            tx_msgs[out].msg_hdr.msg_namelen = msgs[i].msg_hdr.msg_namelen;
            tx_msgs[out].msg_hdr.msg_iov = &mut tx_iov[out];
            tx_msgs[out].msg_hdr.msg_iovlen = 1;
            tx_msgs[out].msg_hdr.msg_control = std::ptr::null_mut();
            tx_msgs[out].msg_hdr.msg_controllen = 0;
            tx_msgs[out].msg_hdr.msg_flags = 0;
            out += 1;
        }
        drop(catalog);
        let mut sent = 0usize;
        while sent < out {
            // SAFETY: tx_msgs[sent..out] point at live buffers and addresses.
            let r = unsafe {
                libc::sendmmsg(
                    fd,
                    tx_msgs[sent..].as_mut_ptr(),
                    (out - sent) as libc::c_uint,
                    0,
                )
            };
            if r <= 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // Drop this datagram (e.g. the client's port is gone) and go on.
                tracing::debug!("udp send failed: {err}");
                sent += 1;
                continue;
            }
            sent += r as usize;
        }
    }
}
