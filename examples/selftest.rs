fn main() {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(1410);
    let t = std::time::Instant::now();
    let st = gauth::system::net::selftest::run(port);
    eprintln!("{:?}", t.elapsed());
    println!("{}", serde_json::to_string_pretty(&st).unwrap());
}
