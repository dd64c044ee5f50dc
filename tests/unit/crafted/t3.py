from mk import *
A=b'\xaa'*8; B=b'\xbb'*8; Z=b'\0'*8
m1=ike(A,Z,2,0,0,[(1,b'\x00'*40)],ver=0x10)
m2=ike(A,B,2,0,0,[(1,b'\x00'*40)],ver=0x10)
u=lambda s,d,sp,dp,x: ipv4(s,d,17,udp(sp,dp,x))
pcap('t3.pcap',[u(C,G,500,500,m1),u(C,G,500,500,m1),u(G,C,500,500,m2)])
