from mk import *
A=b'\xaa'*8; B=b'\xbb'*8; Z=b'\0'*8
r1=ike(A,Z,INIT,I,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
s1=ike(A,B,INIT,R,0,[(SA,sa_body()),(KE,ke_body()),(NONCE,nonce())])
big=udp(500,500,ike(A,B,AUTH,I,1,[(SK,(35,b'\x00'*2000))]))
u=lambda s,d,sp,dp,x: ipv4(s,d,17,udp(sp,dp,x))
fr=[u(C,G,500,500,r1),u(G,C,500,500,s1)]
for k in range(4): fr.append(ipv4(C,G,17,big[:1480],ident=0x3000+k,off=0,mf=True))
pcap('t13.pcap',fr)
