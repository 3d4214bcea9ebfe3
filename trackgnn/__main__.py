from trackgnn.cli import main

main()
