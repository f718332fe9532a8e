from swtool.cli import main

main()
