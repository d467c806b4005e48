// Times the `/proc` walk: Unix only.
#[cfg(not(unix))]
fn main() {
    eprintln!("scan_timing times the /proc walk; there is none here");
}

#[cfg(unix)]
fn main() {
    let root = std::path::Path::new("/proc");
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let f = gauth::system::net::owners::find(root, &[1]);
        println!("find {:?} unreadable {}", t.elapsed(), f.unreadable);
    }
    let me = std::process::id() as i32;
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let d = gauth::system::proc::describe(root, me, 0);
        println!("describe {:?} {}", t.elapsed(), d.is_some());
        let t = std::time::Instant::now();
        let u = gauth::system::proc::user_name(0);
        println!("user_name {:?} {u:?}", t.elapsed());
        let t = std::time::Instant::now();
        let u = gauth::system::proc::self_and_ancestors(root);
        println!("ancestors {:?} {u:?}", t.elapsed());
        let t = std::time::Instant::now();
        let u = gauth::system::net::bind::check_loopback(1);
        println!("bind {:?} {}", t.elapsed(), u.len());
    }
}
