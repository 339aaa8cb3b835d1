# Computation graphs and linear algebra (shared/seeds/003_17345af908c1288f.txt):
# minimising sin(log(x^2 + 1)) with Adam and autograd, the grad_fn chain, then
# transpose / dot / mv / mm / matmul. The tutorial's code as written, with these
# replacements, each marked below:
# - notebook cells ending in a bare expression print it with print(repr(...));
# - cells that raise (the page shows the traceback) run inside try/except and
#   print the exception as the notebook's last traceback line does;
# - TensorBoard's SummaryWriter (add_graph) is not available to a script:
#   add_graph traces the model by calling it on the example input, so the
#   script calls the model on that input and writes no event file.
# The page never seeds the generator: its random values came from notebook state.
import torch
# Function to compute y = sin(log(x^2 + 1))
def func(x):
    g = x**2 + 1
    h = torch.log(g)
    k = torch.sin(h)
    return k
    #return torch.sin(torch.log(x**2 + 1))

# Set up the initial guess for x (starting point for optimization)
x = torch.tensor([1.0], requires_grad=True)  # x is a scalar, requires gradients

# Use an optimizer to minimize the difference between y and 0
optimizer = torch.optim.Adam([x], lr=0.1)

# Number of iterations for optimization
num_iterations = 10

for i in range(num_iterations):
    # Zero the gradients from the previous step
    optimizer.zero_grad()

    # Compute the function value
    y = func(x)
    print(x)

    # Compute the loss, we want to find x when y = 0
    loss = y**2  # This is the squared error between y and 0

    #Calculate manual gradient of x
    manual = 2*x*torch.cos(torch.log(x**2+1))/(x**2+1)

    # Perform backward propagation to compute the gradients
    y.backward()

    # Print the current value of x and loss at every 100 iterations
    if i % 1 == 0:
        print(f"Iteration {i}, x: {x.item():.4f}, y: {y.item():.6f}, Auto Gradient of x: {x.grad.item():.6f}, Manual Gradient of x: {manual.item():.6f}")

    # Update the value of x using the optimizer
    optimizer.step()

# Final value of x where y should be approximately 0
print(f"Final value of x: {x.item():.4f}")

x = torch.tensor([1.0], requires_grad=True)
print(repr(x))  # notebook cell echo

g1 = x**2
print(g1)
g = g1+1
print(g)

h = torch.log(g)
print(h)

k = torch.sin(h)
print(k)

import torch
# from torch.utils.tensorboard import SummaryWriter  -- TensorBoard, replaced (see top)
# writer = SummaryWriter('runs/experiment_2')
class OurNet(torch.nn.Module):
    def __init__(self):
        super(OurNet,self).__init__()
    def forward(self,x):
        g1 = x**2
        g = g1 + 1
        h = torch.log(g)
        k = torch.sin(h)
        return k
graph = OurNet()
# writer.add_graph(graph,torch.randn((1)))  -- add_graph calls the model on the input:
graph(torch.randn((1)))
# writer.close()
### use tensorboard --logdir=runs command to view

import torch
a = torch.tensor([
    [1, 2, 3],
    [1, 2, 3]
])
transpose_a = torch.t(a)
print("Transpose matrix of a is",transpose_a)

transpose_a = torch.transpose(a,0,1)
print("Transpose matrix of a is",transpose_a)

import torch
a = torch.tensor([1, 2, 3])
b = torch.tensor([4, 5, 6])
ab= torch.dot(a, b)
print (a)
print (b)
print ("Inner product of a and b is",ab)

ba= torch.dot(b, a)
print ("Inner product of b and a is",ba)

# what if now the vectors are not the same size
a = torch.tensor([1, 2])
c = torch.tensor([3, 2, 1])
try:  # the page's cell raises here
    ac= torch.dot(a, c)
    print ("Inner product of a and b is",ac)
except RuntimeError as e:
    print(f"RuntimeError: {e}")

import torch
a = torch.randn(2, 3)
b = torch.randn(3)
print(a)
print(b)
c = torch.mv(a,b)
print("Matrix-vector dot product is",c)

d = a@b
print("Matrix multiplication is", d)

import torch
import time

# Define the size of the matrix and vector
m, n = 1000, 1000

# Create a random matrix A (m x n) and a random vector v (n,)
A = torch.rand(m, n)
v = torch.rand(n)

# Time `torch.mv` (matrix-vector multiplication)
start_time = time.time()
result_mv = torch.mv(A, v)
mv_time = time.time() - start_time

# Time `torch.mm` (matrix-matrix multiplication)
start_time = time.time()
# We need to reshape v to be a matrix with shape (n, 1) for mm
result_mm = torch.mm(A, v.view(-1, 1))
mm_time = time.time() - start_time

# Print the results
print(f"Time taken by torch.mv: {mv_time:.6f} seconds")
print(f"Time taken by torch.mm: {mm_time:.6f} seconds")

import torch
a = torch.tensor([[1, 2],[3, 4]])
b = torch.tensor([[5, 6],[7, 8]])
ab = a*b
print (a)
print (b)
print ("Hadamard product of a and b is",ab)

# Example of matrix dot product
a = torch.arange(1, 7).view(2, 3)
b = torch.arange(1, 7).view(3, 2)
print(a)
print(b)
adotb=torch.mm(a, b)
print ("Dot product of a and b is",adotb)

# Example of matrix dot product
a = torch.arange(1, 7).view(3, 2)
b = torch.arange(1, 7).view(2, 3)
print(a)
print(b)
adotb=torch.mm(a, b)
print ("Dot product of a and b is")
print (adotb)

# Matrix multiplication is not commutative,
bdota=torch.mm(b, a)
print ("Dot product of b and a is",bdota)

# the dimensions of the matrices is important for matrix multiplication
try:  # the page's cell raises here
    adota=torch.mm(a, a)
    print ("Dot product of a and a is",adota)
except RuntimeError as e:
    print(f"RuntimeError: {e}")

# both arguments 1D
vec_1 = torch.tensor([3, 6, 2])
vec_2 = torch.tensor([4, 1, 9])
print("Single dimensional tensors :", torch.matmul(vec_1, vec_2))

# both arguments 2D
mat_1 = torch.tensor([[1, 2, 3],
                      [4, 3, 8],
                      [1, 7, 2]])
mat_2 = torch.tensor([[2, 4, 1],
                      [1, 3, 6],
                      [2, 6, 5]])
out = torch.matmul(mat_1, mat_2)
print("\n3x3 dimensional tensors :\n", out)

# Arguments of different dimensions
# first argument 1D and second argument 2D
mat1_1 = torch.tensor([3, 6, 2])
mat1_2 = torch.tensor([[1, 2, 3],
                       [4, 3, 8],
                       [1, 7, 2]])
out_1 = torch.matmul(mat1_1, mat1_2)
print("\n1D-2D multiplication :\n", out_1)

# first argument 2D and second argument 1D
mat2_1 = torch.tensor([[2, 4, 1],
                       [1, 3, 6],
                       [2, 6, 5]])
mat2_2 = torch.tensor([4, 1, 9])
# assigning to output tensor
out_2 = torch.matmul(mat2_1, mat2_2)
print("\n2D-1D multiplication :\n", out_2)

# N-dimensional argument (N>2)
# creating Tensors using randn()
mat_1 = torch.randn(2, 3, 3)
mat_2 = torch.randn(3)
# printing the matrices
print("matrix A :\n", mat_1)
print("\nmatrix B :\n", mat_2)
# output
print("\nOutput :\n", torch.matmul(mat_1, mat_2))
