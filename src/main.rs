fn main() {
    println!("sirops");
}
