# The Aya book's "Hello XDP" program in BPF assembly: pass every packet.
# Build: tsebpf build programs/hello.s   (or: llvm-mc-19 -triple bpfel -mcpu=v4 -filetype=obj)
	.text
	.section	xdp/xdp_hello,"ax",@progbits
	.globl	xdp_hello                       # -- Begin function xdp_hello
	.p2align	3
	.type	xdp_hello,@function
xdp_hello:                              # @xdp_hello
	r0 = 2                                  # XDP_PASS
	exit
.Lfunc_end0:
	.size	xdp_hello, .Lfunc_end0-xdp_hello
                                        # -- End function
	.type	_license,@object                # @_license
	.section	license,"aw",@progbits
	.globl	_license
_license:
	.asciz	"GPL"
	.size	_license, 4
